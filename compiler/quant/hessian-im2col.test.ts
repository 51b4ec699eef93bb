import { expect } from 'chai';
import { Rng } from '../../runtime/generators/rng.ts';
import { convPatches, type ConvGeometry } from './hessian-im2col.ts';

type Shape = readonly [number, number, number, number];

// ONNX Conv computed directly from its definition: NCHW input, [M, C/group, kH, kW] weights.
function directConv(x: Float32Array, shape: Shape, w: Float32Array, outChannels: number, conv: Required<ConvGeometry>): { y: Float64Array; outH: number; outW: number } {
  const [batch, channels, height, width] = shape;
  const [kH, kW] = conv.kernelShape, [sH, sW] = conv.strides, [dH, dW] = conv.dilations;
  const [top, left, bottom, right] = conv.pads;
  const outH = Math.floor((height + top + bottom - dH * (kH - 1) - 1) / sH) + 1;
  const outW = Math.floor((width + left + right - dW * (kW - 1) - 1) / sW) + 1;
  const groupIn = channels / conv.group, groupOut = outChannels / conv.group;
  const y = new Float64Array(batch * outChannels * outH * outW);
  for (let n = 0; n < batch; n++) {
    for (let m = 0; m < outChannels; m++) {
      const g = Math.floor(m / groupOut);
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let s = 0;
          for (let c = 0; c < groupIn; c++) {
            for (let kh = 0; kh < kH; kh++) {
              for (let kw = 0; kw < kW; kw++) {
                const ih = oh * sH - top + kh * dH, iw = ow * sW - left + kw * dW;
                if (ih < 0 || ih >= height || iw < 0 || iw >= width) continue;
                s += w[((m * groupIn + c) * kH + kh) * kW + kw] * x[((n * channels + g * groupIn + c) * height + ih) * width + iw];
              }
            }
          }
          y[((n * outChannels + m) * outH + oh) * outW + ow] = s;
        }
      }
    }
  }
  return { y, outH, outW };
}

interface Case { name: string; shape: Shape; outChannels: number; conv: Required<ConvGeometry> }

const cases: Case[] = [
  { name: '3x3, pad 1', shape: [2, 3, 6, 5], outChannels: 4, conv: { kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 } },
  { name: 'group 2, 3x2 kernel, stride 2, uneven pads', shape: [1, 4, 7, 8], outChannels: 6, conv: { kernelShape: [3, 2], strides: [2, 2], pads: [1, 0, 0, 2], dilations: [1, 1], group: 2 } },
  { name: 'depthwise, stride 2', shape: [2, 5, 9, 9], outChannels: 5, conv: { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], group: 5 } },
  { name: 'dilation 2', shape: [1, 3, 9, 10], outChannels: 2, conv: { kernelShape: [3, 3], strides: [1, 2], pads: [2, 2, 2, 2], dilations: [2, 2], group: 1 } },
  { name: '1x1, stride 2', shape: [3, 6, 5, 5], outChannels: 8, conv: { kernelShape: [1, 1], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 } },
];

function randomCase(c: Case, seed: number) {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: c.shape.reduce((a, b) => a * b) }, () => rng.normal());
  const w = Float32Array.from({ length: c.outChannels * (c.shape[1] / c.conv.group) * c.conv.kernelShape[0] * c.conv.kernelShape[1] }, () => rng.normal());
  return { x, w };
}

function rowsOf(matrix: Float32Array, width: number): string[] {
  return Array.from({ length: matrix.length / width }, (_, r) => matrix.subarray(r * width, (r + 1) * width).join(','));
}

describe('convPatches', () => {
  for (const c of cases) {
    it(`multiplied by the flattened weights gives the convolution (${c.name})`, () => {
      const { x, w } = randomCase(c, 1);
      const { y, outH, outW } = directConv(x, c.shape, w, c.outChannels, c.conv);
      const { perGroup, positions, colsPerGroup } = convPatches(x, c.shape, c.conv);
      expect(positions).to.equal(c.shape[0] * outH * outW);
      const groupOut = c.outChannels / c.conv.group;
      for (let m = 0; m < c.outChannels; m++) {
        const patches = perGroup[Math.floor(m / groupOut)];
        for (let p = 0; p < positions; p++) {
          let s = 0;
          for (let k = 0; k < colsPerGroup; k++) s += patches[p * colsPerGroup + k] * w[m * colsPerGroup + k];
          const n = Math.floor(p / (outH * outW)), spatial = p % (outH * outW);
          expect(s).to.be.closeTo(y[(n * c.outChannels + m) * outH * outW + spatial], 1e-9);
        }
      }
    });
  }

  it('subsamples whole patches, one in positionStride per output row, reproducibly per seed', () => {
    const c: Case = { name: '', shape: [2, 3, 12, 16], outChannels: 1, conv: { kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 } };
    const { x } = randomCase(c, 2);
    const full = convPatches(x, c.shape, c.conv);
    const fullRows = rowsOf(full.perGroup[0], full.colsPerGroup);
    const sampled = convPatches(x, c.shape, c.conv, { positionStride: 4, seed: 'a' });
    // 2 images x 12 rows, each keeping 16 / 4 positions.
    expect(sampled.positions).to.equal(2 * 12 * 4);
    const keptAt = rowsOf(sampled.perGroup[0], sampled.colsPerGroup).map((row) => fullRows.indexOf(row));
    expect(keptAt.every((p) => p >= 0)).to.equal(true);
    for (let k = 0; k + 1 < keptAt.length; k++) {
      const sameRow = Math.floor(keptAt[k] / 16) === Math.floor(keptAt[k + 1] / 16);
      if (sameRow) expect(keptAt[k + 1] - keptAt[k]).to.equal(4);
    }
    expect(convPatches(x, c.shape, c.conv, { positionStride: 4, seed: 'a' }).perGroup[0]).to.deep.equal(sampled.perGroup[0]);
    expect(convPatches(x, c.shape, c.conv, { positionStride: 4, seed: 'b' }).perGroup[0]).to.not.deep.equal(sampled.perGroup[0]);
  });

  it('keeps every position with the same probability, so the subsampled Hessian is unbiased', () => {
    const shape: Shape = [1, 1, 4, 7];
    const x = Float32Array.from({ length: 28 }, (_, i) => i + 1);
    const conv: ConvGeometry = { kernelShape: [1, 1] };
    const seeds = 3000, stride = 3;
    const kept = new Array(28).fill(0);
    for (let seed = 0; seed < seeds; seed++) {
      for (const v of convPatches(x, shape, conv, { positionStride: stride, seed }).perGroup[0]) kept[v - 1]++;
    }
    // Binomial(3000, 1/3): standard deviation ~26.
    for (const count of kept) expect(count).to.be.closeTo(seeds / stride, 120);
  });
});
