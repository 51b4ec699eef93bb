import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { UserError } from '../../compiler/errors.ts';
import { memoryLogger } from '../../compiler/logger.ts';
import { saveModel } from '../../compiler/onnx/save.ts';
import { createCalibrationGenerator } from '../../compiler/pipeline/compile.ts';
import { GraphBuilder } from '../../test/builders/graph-builder.ts';
import { buildGeneratorNet, buildLatentEchoGenerator } from '../../test/builders/calibration-models.ts';
import { FR_FEATURE } from '../../test/fixtures/real-models.ts';
import { renderFaceSample } from './faces-input.ts';
import { createInputGenerator, GeneratorContext, InputGenerator } from './input-generator.ts';
import type { OnnxGeneratorOptions } from './onnx-generator-input.ts';
import { encodePng } from './png.ts';
import { imageShapeOf, parsePreprocessing, Preprocessing, PRESETS, resizeRgb, rgbToModelInput } from './preprocessing.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qf-generators-'));

/** Context for an NCHW image input of size x size. */
function imageContext(seed: number | string, size: number, pre: Preprocessing = PRESETS.arcface, extra: Partial<GeneratorContext> = {}): GeneratorContext {
  const dims = [1, 3, size, size];
  return { seed, sampleDims: dims.slice(1), image: { shape: imageShapeOf(dims, pre, 'input'), preprocessing: pre }, ...extra };
}

async function draw(g: InputGenerator, index: number, length: number): Promise<Float32Array> {
  const out = new Float32Array(length);
  await g.sample(index, out);
  return out;
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.compare(bytes(a), bytes(b)) === 0;
}

/** Pearson correlation of horizontally neighbouring values, pooled over the planes of an NCHW sample. */
function neighbourCorrelation(x: Float32Array, width: number): number {
  let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    if ((i + 1) % width === 0) continue;
    const a = x[i], b = x[i + 1];
    n++;
    sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b;
  }
  const cov = sab / n - (sa / n) * (sb / n);
  return cov / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
}

function meanAndStd(x: Float32Array): { mean: number; std: number } {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  return { mean, std: Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length) };
}

async function expectUserError(promise: Promise<unknown>, pattern: RegExp): Promise<UserError> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, 'expected a UserError').to.be.instanceOf(UserError);
  expect((error as Error).message).to.not.include('\n');
  expect((error as Error).message).to.match(pattern);
  return error as UserError;
}

describe('input generators', function () {
  this.timeout(30_000);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const SIZE = 112;
  const LENGTH = 3 * SIZE * SIZE;

  describe('faces, gaussian, uniform', () => {
    for (const kind of ['faces', 'gaussian', 'uniform']) {
      it(`${kind}: same seed gives identical bytes, another seed or index different ones`, async () => {
        const a = await createInputGenerator(kind, imageContext(7, SIZE));
        const b = await createInputGenerator(kind, imageContext(7, SIZE));
        const c = await createInputGenerator(kind, imageContext(8, SIZE));
        const a0 = await draw(a, 0, LENGTH);
        expect(sameBytes(a0, await draw(b, 0, LENGTH))).to.equal(true);
        expect(sameBytes(await draw(a, 5, LENGTH), await draw(b, 5, LENGTH))).to.equal(true);
        expect(sameBytes(a0, await draw(c, 0, LENGTH))).to.equal(false);
        expect(sameBytes(a0, await draw(a, 1, LENGTH))).to.equal(false);
      });

      it(`${kind}: sample i is the same drawn alone or after others (order independence)`, async () => {
        const inOrder = await createInputGenerator(kind, imageContext('order', SIZE));
        const samples: Float32Array[] = [];
        for (let i = 0; i < 4; i++) samples.push(await draw(inOrder, i, LENGTH));
        const alone = await createInputGenerator(kind, imageContext('order', SIZE));
        expect(sameBytes(await draw(alone, 3, LENGTH), samples[3])).to.equal(true);
        expect(sameBytes(await draw(alone, 1, LENGTH), samples[1])).to.equal(true);
        // Drawing again after others gives the first one back unchanged.
        expect(sameBytes(await draw(inOrder, 0, LENGTH), samples[0])).to.equal(true);
      });
    }

    it('faces are in the arcface range [-1, 1], with the spatial structure of images', async () => {
      const g = await createInputGenerator('faces', imageContext(1, SIZE));
      for (let i = 0; i < 3; i++) {
        const x = await draw(g, i, LENGTH);
        let lo = Infinity, hi = -Infinity;
        for (const v of x) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        expect(lo).to.be.at.least(-1);
        expect(hi).to.be.at.most(1);
        // Not a flat image.
        expect(meanAndStd(x).std).to.be.above(0.1);
        // Neighbouring pixels of a photo are strongly correlated.
        expect(neighbourCorrelation(x, SIZE)).to.be.above(0.8);
      }
    });

    it('gaussian is N(0, 1) per element, with no spatial correlation', async () => {
      const g = await createInputGenerator('gaussian', imageContext(1, SIZE));
      const x = await draw(g, 0, LENGTH);
      const { mean, std } = meanAndStd(x);
      expect(mean).to.be.closeTo(0, 0.03);
      expect(std).to.be.closeTo(1, 0.03);
      expect(Math.abs(neighbourCorrelation(x, SIZE))).to.be.below(0.05);
    });

    it('uniform is pixels U(0, 255) preprocessed: spread over [-1, 1] with arcface, no spatial correlation', async () => {
      const g = await createInputGenerator('uniform', imageContext(1, SIZE));
      const x = await draw(g, 0, LENGTH);
      expect(Math.min(...x)).to.equal(-1);
      expect(Math.max(...x)).to.equal(1);
      expect(meanAndStd(x).mean).to.be.closeTo(0, 0.03);
      // U(-1, 1) has std 1/sqrt(3).
      expect(meanAndStd(x).std).to.be.closeTo(1 / Math.sqrt(3), 0.03);
      expect(Math.abs(neighbourCorrelation(x, SIZE))).to.be.below(0.05);
    });

    it('faces follow the preprocessing: raw gives 0..255 pixels, bgr swaps the first and last planes', async () => {
      const raw = await draw(await createInputGenerator('faces', imageContext(2, 32, PRESETS.raw)), 0, 3 * 32 * 32);
      const bgr = await draw(await createInputGenerator('faces', imageContext(2, 32, parsePreprocessing({ preset: 'raw', channelOrder: 'bgr' }))), 0, 3 * 32 * 32);
      const plane = 32 * 32;
      expect(raw.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).to.equal(true);
      expect(sameBytes(raw.subarray(0, plane), bgr.subarray(2 * plane))).to.equal(true);
      expect(sameBytes(raw.subarray(plane, 2 * plane), bgr.subarray(plane, 2 * plane))).to.equal(true);
      expect(sameBytes(raw.subarray(2 * plane), bgr.subarray(0, plane))).to.equal(true);
    });

    it('noise also feeds non-image inputs; image generators refuse them', async () => {
      const ctx: GeneratorContext = { seed: 1, sampleDims: [512] };
      const gaussian = await draw(await createInputGenerator('gaussian', ctx), 0, 512);
      expect(meanAndStd(gaussian).std).to.be.within(0.8, 1.2);
      const uniform = await draw(await createInputGenerator('uniform', ctx), 0, 512);
      expect(uniform.every((v) => v >= -1 && v <= 1)).to.equal(true);
      await expectUserError(createInputGenerator('faces', ctx), /generator 'faces' renders images, but the model input is not an image/);
      await expectUserError(createInputGenerator(`images:${dir}`, ctx), /renders images/);
    });

    it('a model with a 2-D input gets one clear error for an image generator (gaussian still works)', async () => {
      const b = new GraphBuilder({ opset: 13 });
      const x = b.input('embedding', [1, 512]);
      b.output(b.op('Relu', [x]));
      const settings = { generator: 'faces', samples: 4, seed: '0', preprocessing: PRESETS.arcface, dims: {} };
      await expectUserError(createCalibrationGenerator(b.model, settings), /input 'embedding' has shape \[1, 512\]; image generators need a 4-D image input/);
      const g = await createCalibrationGenerator(b.model, { ...settings, generator: 'gaussian' });
      expect((await draw(g, 0, 512)).some((v) => v !== 0)).to.equal(true);
    });

    it('a layout that does not match the model input is one clear error', async () => {
      const b = new GraphBuilder({ opset: 13 });
      const x = b.input('input', [1, 3, 112, 112]);
      b.output(b.op('Relu', [x]));
      const settings = { generator: 'faces', samples: 4, seed: '0', preprocessing: parsePreprocessing({ layout: 'nhwc' }), dims: {} };
      await expectUserError(createCalibrationGenerator(b.model, settings), /input 'input' has shape \[1, 3, 112, 112\], which is not a NHWC image with 1 or 3 channels: check --layout/);
    });

    it('an unknown spec lists the known ones; images: and generator: need an argument', async () => {
      await expectUserError(createInputGenerator('stylegan', imageContext(0, 16)), /unknown input generator 'stylegan'; use one of faces, gaussian, uniform, generator:PATH\.onnx, images:DIR/);
      await expectUserError(createInputGenerator('images:', imageContext(0, 16)), /images: needs a folder/);
      await expectUserError(createInputGenerator('generator:', imageContext(0, 16)), /generator: needs an ONNX file/);
    });
  });

  describe('generator:PATH.onnx', () => {
    const generatorFile = path.join(dir, 'generator.onnx');
    const echoFile = path.join(dir, 'echo.onnx');
    before(() => {
      saveModel(buildGeneratorNet({ latentSize: 16, size: 8 }), generatorFile);
      saveModel(buildLatentEchoGenerator(4), echoFile);
    });

    const make = (seed: number | string, size: number, pre: Preprocessing = PRESETS.arcface, onnx: OnnxGeneratorOptions = {}, file = generatorFile) =>
      createInputGenerator(`generator:${file}`, imageContext(seed, size, pre, { onnx }));

    it('produces images resized to the model input, in the preprocessing range', async () => {
      const g = await make(1, 112);
      try {
        expect(g.description).to.deep.include({ kind: 'generator', latentSize: 16, truncation: null, outputRange: [-1, 1] });
        const x = await draw(g, 0, 3 * 112 * 112);
        expect(x.every((v) => v >= -1 && v <= 1)).to.equal(true);
        expect(meanAndStd(x).std).to.be.above(0.05);
        // An 8x8 image blown up to 112x112: neighbours are nearly equal.
        expect(neighbourCorrelation(x, 112)).to.be.above(0.95);
      } finally {
        await g.close?.();
      }
    });

    it('the resized sample is the generator image resized bilinearly', async () => {
      // With the raw preset, an 8x8 model input receives the generator's pixels as they are.
      const native = await make(3, 8, PRESETS.raw);
      const larger = await make(3, 20, PRESETS.raw);
      try {
        const planes = await draw(native, 2, 3 * 64);
        const rgb = new Uint8ClampedArray(64 * 3);
        for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = planes[c * 64 + p];
        const expected = new Float32Array(3 * 20 * 20);
        rgbToModelInput(resizeRgb(rgb, 8, 8, 20, 20), { channels: 3, height: 20, width: 20 }, PRESETS.raw, expected);
        expect(sameBytes(await draw(larger, 2, 3 * 20 * 20), expected)).to.equal(true);
      } finally {
        await native.close?.();
        await larger.close?.();
      }
    });

    it('is deterministic per seed and index, and order independent', async () => {
      const a = await make('s', 16);
      const b = await make('s', 16);
      const c = await make('t', 16);
      const n = 3 * 16 * 16;
      try {
        const a0 = await draw(a, 0, n), a1 = await draw(a, 1, n), a2 = await draw(a, 2, n);
        expect(sameBytes(await draw(b, 2, n), a2)).to.equal(true);
        expect(sameBytes(await draw(b, 0, n), a0)).to.equal(true);
        expect(sameBytes(a0, a1)).to.equal(false);
        expect(sameBytes(await draw(c, 0, n), a0)).to.equal(false);
      } finally {
        await Promise.all([a, b, c].map((g) => g.close?.()));
      }
    });

    it('--truncation keeps every latent value within +-T', async () => {
      // The echo generator's image is its latent; with an output range of -4..4 and the
      // raw preset, a latent value z becomes the pixel (z + 4) / 8 * 255.
      const pixel = (z: number) => ((z + 4) / 8) * 255;
      const range = (x: Float32Array) => [Math.min(...x), Math.max(...x)];
      const truncated = await make(1, 4, PRESETS.raw, { truncation: 0.5, outputRange: [-4, 4] }, echoFile);
      const free = await make(1, 4, PRESETS.raw, { outputRange: [-4, 4] }, echoFile);
      try {
        expect(truncated.description).to.deep.include({ latentSize: 48, truncation: 0.5 });
        let widest = 0;
        for (let i = 0; i < 8; i++) {
          const [lo, hi] = range(await draw(truncated, i, 48));
          expect(lo).to.be.at.least(Math.floor(pixel(-0.5)));
          expect(hi).to.be.at.most(Math.ceil(pixel(0.5)));
          // Still random within the bound.
          expect(hi - lo).to.be.above(5);
          const [flo, fhi] = range(await draw(free, i, 48));
          widest = Math.max(widest, fhi - flo);
        }
        // Without truncation, 48 normals per sample reach well beyond +-0.5.
        expect(widest).to.be.above(pixel(1.5) - pixel(-1.5));
      } finally {
        await truncated.close?.();
        await free.close?.();
      }
    });

    it('a face recognition model (FR_FEATURE) is rejected: it is not a generator', async () => {
      const e = await expectUserError(make(0, 112, PRESETS.arcface, {}, FR_FEATURE), /is not a generator network/);
      expect(e.message).to.include(FR_FEATURE);
      expect(e.message).to.match(/not a latent vector/);
    });

    it('a latent size that contradicts the generator, and an empty output range, are UserErrors', async () => {
      await expectUserError(make(0, 16, PRESETS.arcface, { latentSize: 32 }), /--latent-size 32 does not match the generator's input size 16/);
      await expectUserError(make(0, 16, PRESETS.arcface, { outputRange: [1, 1] }), /generator output range 1,1 is empty/);
    });
  });

  describe('images:DIR', () => {
    const FACE = 32;
    const photos = path.join(dir, 'photos');
    const broken = path.join(dir, 'broken');
    const faces = [0, 1, 2, 3].map((i) => renderFaceSample('folder', i, FACE, FACE));
    const pre = PRESETS.raw;
    const n = 3 * FACE * FACE;

    before(() => {
      fs.mkdirSync(photos);
      fs.mkdirSync(broken);
      faces.slice(0, 3).forEach((rgb, i) => fs.writeFileSync(path.join(photos, `${'abc'[i]}_face.png`), encodePng(rgb, FACE, FACE)));
      const rgba = Buffer.alloc(FACE * FACE * 4, 255);
      for (let p = 0; p < FACE * FACE; p++) for (let c = 0; c < 3; c++) rgba[4 * p + c] = faces[3][3 * p + c];
      fs.writeFileSync(path.join(photos, 'd_face.jpg'), jpeg.encode({ data: rgba, width: FACE, height: FACE }, 95).data);
      const corrupt = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('this is no longer a PNG')]);
      fs.writeFileSync(path.join(photos, 'e_corrupt.png'), corrupt);
      fs.writeFileSync(path.join(photos, 'f_text.jpg'), 'just some text, not a JPEG\n');
      fs.writeFileSync(path.join(photos, 'notes.txt'), 'not an image, and not counted');
      fs.writeFileSync(path.join(broken, 'corrupt.png'), corrupt);
      fs.writeFileSync(path.join(broken, 'text.jpg'), 'hello');
    });

    it('uses the readable images, skips the unreadable ones with a warning each, and counts them', async () => {
      const logger = memoryLogger();
      const g = await createInputGenerator(`images:${photos}`, imageContext(0, FACE, pre, { logger }));
      expect(g.description).to.deep.include({ kind: 'images', images: 4, skipped: 2 });
      const warnings = logger.lines.filter((l) => l.startsWith('warning: '));
      expect(warnings).to.have.length(3);
      expect(warnings[0]).to.match(/skipping unreadable image '.*e_corrupt\.png'/);
      expect(warnings[1]).to.match(/skipping unreadable image '.*f_text\.jpg': not a PNG or JPEG file/);
      expect(warnings[2]).to.match(/2 of 6 files in '.*photos' could not be read and were skipped/);
    });

    it('samples are the images in name order (PNG exact, JPEG close), cycling past the last', async () => {
      const g = await createInputGenerator(`images:${photos}`, imageContext(0, FACE, pre, { logger: memoryLogger() }));
      for (let i = 0; i < 3; i++) {
        const expected = new Float32Array(n);
        rgbToModelInput(faces[i], { channels: 3, height: FACE, width: FACE }, pre, expected);
        expect(sameBytes(await draw(g, i, n), expected), `image ${i}`).to.equal(true);
      }
      const fromJpeg = await draw(g, 3, n);
      const original = new Float32Array(n);
      rgbToModelInput(faces[3], { channels: 3, height: FACE, width: FACE }, pre, original);
      const meanAbs = fromJpeg.reduce((s, v, k) => s + Math.abs(v - original[k]), 0) / n;
      expect(meanAbs).to.be.below(6);
      expect(sameBytes(await draw(g, 4, n), await draw(g, 0, n))).to.equal(true);
      expect(sameBytes(await draw(g, 7, n), fromJpeg)).to.equal(true);
    });

    it('images are resized to the model input', async () => {
      const g = await createInputGenerator(`images:${photos}`, imageContext(0, 112, PRESETS.arcface, { logger: memoryLogger() }));
      const x = await draw(g, 0, 3 * 112 * 112);
      const expected = new Float32Array(3 * 112 * 112);
      rgbToModelInput(resizeRgb(faces[0], FACE, FACE, 112, 112), { channels: 3, height: 112, width: 112 }, PRESETS.arcface, expected);
      expect(sameBytes(x, expected)).to.equal(true);
    });

    it('a folder with only unreadable files is one clear error', async () => {
      const logger = memoryLogger();
      await expectUserError(createInputGenerator(`images:${broken}`, imageContext(0, FACE, pre, { logger })), /no readable PNG or JPEG image in '.*broken' \(2 unreadable\)/);
      expect(logger.lines.filter((l) => l.startsWith('warning: skipping unreadable'))).to.have.length(2);
    });

    it('a missing folder is one clear error', async () => {
      await expectUserError(createInputGenerator(`images:${path.join(dir, 'nowhere')}`, imageContext(0, FACE, pre)), /cannot read image folder/);
    });
  });
});
