import { expect } from 'chai';
import { UserError } from '../../compiler/errors.ts';
import { imageShapeOf, parsePreprocessing, PreprocessingFlags, PRESETS, resizeRgb, rgbToModelInput } from './preprocessing.ts';

/** The flags must be rejected with a UserError whose message is one line matching `pattern`. */
function expectUserError(flags: PreprocessingFlags, pattern: RegExp): void {
  let error: unknown;
  try {
    parsePreprocessing(flags);
  } catch (e) {
    error = e;
  }
  expect(error, JSON.stringify(flags)).to.be.instanceOf(UserError);
  const message = (error as Error).message;
  expect(message).to.not.include('\n');
  expect(message).to.match(pattern);
}

function shapeError(dims: number[], layout: 'nchw' | 'nhwc'): UserError {
  try {
    imageShapeOf(dims, parsePreprocessing({ layout }), 'input');
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    expect((e as Error).message).to.not.include('\n');
    return e as UserError;
  }
  throw new Error(`imageShapeOf accepted [${dims.join(', ')}] as ${layout}`);
}

describe('preprocessing', () => {
  describe('parsePreprocessing', () => {
    it('defaults to the arcface preset: (x - 127.5) / 127.5, RGB, NCHW', () => {
      expect(parsePreprocessing({})).to.deep.equal({ mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5], channelOrder: 'rgb', layout: 'nchw' });
    });

    it('knows the imagenet, unit and raw presets', () => {
      expect(parsePreprocessing({ preset: 'imagenet' })).to.deep.equal(PRESETS.imagenet);
      expect(parsePreprocessing({ preset: 'imagenet' }).mean).to.deep.equal([123.675, 116.28, 103.53]);
      expect(parsePreprocessing({ preset: 'unit' })).to.deep.include({ mean: [0, 0, 0], std: [255, 255, 255] });
      expect(parsePreprocessing({ preset: 'raw' })).to.deep.include({ mean: [0, 0, 0], std: [1, 1, 1] });
    });

    it('--mean and --std take one number or three comma-separated ones', () => {
      expect(parsePreprocessing({ mean: '100' }).mean).to.deep.equal([100, 100, 100]);
      expect(parsePreprocessing({ mean: '1,2,3' }).mean).to.deep.equal([1, 2, 3]);
      expect(parsePreprocessing({ std: ' 58.4, 57.1 ,57.4 ' }).std).to.deep.equal([58.4, 57.1, 57.4]);
      expect(parsePreprocessing({ preset: 'imagenet', mean: '0' })).to.deep.include({ mean: [0, 0, 0], std: PRESETS.imagenet.std });
    });

    it('--channel-order and --layout override the preset', () => {
      expect(parsePreprocessing({ channelOrder: 'bgr', layout: 'nhwc' })).to.deep.include({ channelOrder: 'bgr', layout: 'nhwc' });
      expect(parsePreprocessing({ preset: 'unit', channelOrder: 'rgb' })).to.deep.include({ channelOrder: 'rgb', layout: 'nchw' });
    });

    it('does not let an override leak into the preset table', () => {
      const p = parsePreprocessing({ mean: '1,2,3' });
      p.std[0] = 99;
      expect(PRESETS.arcface.mean).to.deep.equal([127.5, 127.5, 127.5]);
      expect(PRESETS.arcface.std).to.deep.equal([127.5, 127.5, 127.5]);
    });

    describe('bad flags: one-line UserErrors', () => {
      it('an unknown preset names the known ones', () => expectUserError({ preset: 'vgg' }, /unknown preprocessing preset 'vgg'; known: arcface, imagenet, unit, raw/));
      it('a --mean that is not a number', () => expectUserError({ mean: 'abc' }, /--mean takes one number or three comma-separated numbers, got 'abc'/));
      it('a --mean with two numbers', () => expectUserError({ mean: '1,2' }, /--mean takes one number or three/));
      it('a --std with four numbers', () => expectUserError({ std: '1,2,3,4' }, /--std takes one number or three/));
      it('a --std of 0', () => expectUserError({ std: '0' }, /--std must not be 0/));
      it('a --std with one channel 0', () => expectUserError({ std: '1,0,1' }, /--std must not be 0/));
      it('an unknown channel order', () => expectUserError({ channelOrder: 'rbg' }, /--channel-order must be rgb or bgr, got 'rbg'/));
      it('an unknown layout', () => expectUserError({ layout: 'chw' }, /--layout must be nchw or nhwc, got 'chw'/));
    });
  });

  describe('imageShapeOf', () => {
    it('reads channels, height and width in either layout', () => {
      expect(imageShapeOf([1, 3, 112, 96], PRESETS.arcface, 'input')).to.deep.equal({ channels: 3, height: 112, width: 96 });
      expect(imageShapeOf([1, 112, 96, 3], parsePreprocessing({ layout: 'nhwc' }), 'input')).to.deep.equal({ channels: 3, height: 112, width: 96 });
      expect(imageShapeOf([1, 1, 64, 64], PRESETS.arcface, 'input')).to.deep.equal({ channels: 1, height: 64, width: 64 });
    });

    it('a layout that does not match the input (nhwc for NCHW [1, 3, 112, 112]) is one clear error pointing at --layout', () => {
      const e = shapeError([1, 3, 112, 112], 'nhwc');
      expect(e.message).to.match(/input 'input' has shape \[1, 3, 112, 112\], which is not a NHWC image with 1 or 3 channels: check --layout/);
    });

    it('an NHWC input read as NCHW is rejected the same way', () => {
      expect(shapeError([1, 112, 112, 3], 'nchw').message).to.match(/not a NCHW image with 1 or 3 channels: check --layout/);
    });

    it('a 2-D input (an embedding) is not an image', () => {
      expect(shapeError([1, 512], 'nchw').message).to.match(/input 'input' has shape \[1, 512\]; image generators need a 4-D image input/);
    });
  });

  describe('rgbToModelInput', () => {
    // Two pixels: (0, 128, 255) and (255, 0, 51).
    const rgb = Uint8ClampedArray.from([0, 128, 255, 255, 0, 51]);
    const shape = { channels: 3, height: 1, width: 2 };

    it('arcface: (x - 127.5) / 127.5, RGB planes', () => {
      const out = new Float32Array(6);
      rgbToModelInput(rgb, shape, PRESETS.arcface, out);
      const f = (x: number) => Math.fround((x - 127.5) / 127.5);
      expect([...out]).to.deep.equal([f(0), f(255), f(128), f(0), f(255), f(51)]);
    });

    it('bgr puts blue in the first plane; per-channel mean and std apply in model channel order', () => {
      const out = new Float32Array(6);
      rgbToModelInput(rgb, shape, parsePreprocessing({ preset: 'raw', channelOrder: 'bgr', mean: '1,2,3', std: '1,2,4' }), out);
      expect([...out]).to.deep.equal([255 - 1, 51 - 1, (128 - 2) / 2, (0 - 2) / 2, (0 - 3) / 4, (255 - 3) / 4]);
    });

    it('nhwc interleaves the channels', () => {
      const out = new Float32Array(6);
      rgbToModelInput(rgb, shape, parsePreprocessing({ preset: 'raw', layout: 'nhwc' }), out);
      expect([...out]).to.deep.equal([0, 128, 255, 255, 0, 51]);
    });

    it('a one-channel input gets BT.601 luminance', () => {
      const out = new Float32Array(2);
      rgbToModelInput(rgb, { channels: 1, height: 1, width: 2 }, PRESETS.raw, out);
      expect(out[0]).to.be.closeTo(0.587 * 128 + 0.114 * 255, 1e-4);
      expect(out[1]).to.be.closeTo(0.299 * 255 + 0.114 * 51, 1e-4);
    });

    it('writes at the given offset only', () => {
      const out = new Float32Array(8).fill(7);
      rgbToModelInput(rgb, shape, PRESETS.raw, out, 1);
      expect(out[0]).to.equal(7);
      expect(out[7]).to.equal(7);
      expect([...out.subarray(1, 7)]).to.deep.equal([0, 255, 128, 0, 255, 51]);
    });
  });

  describe('resizeRgb', () => {
    it('copies an image of the same size', () => {
      const src = Uint8ClampedArray.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
      expect([...resizeRgb(src, 4, 3, 4, 3)]).to.deep.equal([...src]);
    });

    it('keeps a constant image constant at any size', () => {
      const src = new Uint8ClampedArray(5 * 7 * 3);
      for (let p = 0; p < 35; p++) src.set([10, 200, 77], 3 * p);
      for (const [w, h] of [[112, 112], [3, 2], [1, 1]]) {
        const out = resizeRgb(src, 5, 7, w, h);
        expect(out.length).to.equal(w * h * 3);
        for (let p = 0; p < w * h; p++) expect([out[3 * p], out[3 * p + 1], out[3 * p + 2]]).to.deep.equal([10, 200, 77]);
      }
    });

    it('upsamples bilinearly with the corners kept and the values in between', () => {
      // A horizontal ramp 0 -> 255 in two pixels, upsampled to four.
      const src = Uint8ClampedArray.from([0, 0, 0, 255, 255, 255]);
      const out = resizeRgb(src, 2, 1, 4, 1);
      const red = [0, 1, 2, 3].map((x) => out[3 * x]);
      expect(red[0]).to.equal(0);
      expect(red[3]).to.equal(255);
      expect(red[1]).to.be.within(1, 254);
      expect(red[1]).to.be.below(red[2]);
    });
  });
});
