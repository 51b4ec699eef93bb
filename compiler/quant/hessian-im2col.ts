// The input vectors a Conv multiplies its weights with (im2col), as the
// samples of that Conv's GPTQ Hessian.
//
// ONNX Conv weights are [M, C/group, kH, kW]; flattened per output channel,
// column (c * kH + kh) * kW + kw multiplies input channel g * C/group + c at
// kernel offset (kh, kw). Each group has its own weights and inputs, so each
// gets its own patch matrix (and its own Hessian); for a depthwise conv
// those are kH*kW wide.
//
// Subsampling. Every output position gives one patch, and a feature map of
// 112 x 112 gives 12544 of them per image: the Hessian update costs
// cols^2 / 2 multiply-adds per patch, so full maps dominate calibration time.
// With positionStride s, each output row of each image keeps the positions
// phase, phase + s, phase + 2s, ..., with phase drawn from a seeded Rng per
// row. Why that is safe:
// - every position is kept with probability exactly 1/s, so the mean of
//   x x^T over kept patches is an unbiased estimate of the full mean, and
//   GPTQ does not depend on the scale of H (only on its shape);
// - neighbouring patches of a stride-1 conv share most of their inputs (two
//   thirds for 3x3), so the dropped ones carry little new information;
// - the random phase per row keeps the kept set from locking onto fixed
//   columns, e.g. never seeing the zero-padded border when the map width
//   is a multiple of s.
// What matters is keeping enough samples for H to be well conditioned: the
// kept count should stay well above the column count (the accumulator's
// `count` tells), the damping covers the rest.

import { Rng } from '../../runtime/generators/rng.ts';

export interface ConvGeometry {
  kernelShape: readonly [number, number];
  /** Default [1, 1]. */
  strides?: readonly [number, number];
  /** ONNX order [top, left, bottom, right]; auto_pad must already be resolved into these. Default zeros. */
  pads?: readonly [number, number, number, number];
  /** Default [1, 1]. */
  dilations?: readonly [number, number];
  /** Default 1. */
  group?: number;
}

export interface PatchSubsampling {
  /** Keep one output position in this many along each output row (>= 1). */
  positionStride: number;
  seed: number | string;
}

export interface ConvPatches {
  /** One per group: positions x colsPerGroup, row-major. */
  perGroup: Float32Array[];
  /** Kept output positions, ordered by image, then output row, then column. */
  positions: number;
  colsPerGroup: number;
}

/**
 * @param shape of `input`, NCHW.
 * The result holds positions x C*kH*kW floats in all: feed a large map an
 * image or a few at a time.
 */
export function convPatches(
  input: Float32Array,
  shape: readonly [number, number, number, number],
  conv: ConvGeometry,
  subsampling?: PatchSubsampling,
): ConvPatches {
  const [batch, channels, height, width] = shape;
  const [kH, kW] = conv.kernelShape;
  const [strideH, strideW] = conv.strides ?? [1, 1];
  const [padTop, padLeft, padBottom, padRight] = conv.pads ?? [0, 0, 0, 0];
  const [dilationH, dilationW] = conv.dilations ?? [1, 1];
  const group = conv.group ?? 1;
  if (input.length !== batch * channels * height * width) throw new Error(`convPatches: input has ${input.length} values, shape says ${shape.join('x')}`);
  if (!Number.isInteger(group) || group < 1 || channels % group !== 0) throw new Error(`convPatches: ${channels} channels do not split into ${group} groups`);
  const outH = Math.floor((height + padTop + padBottom - dilationH * (kH - 1) - 1) / strideH) + 1;
  const outW = Math.floor((width + padLeft + padRight - dilationW * (kW - 1) - 1) / strideW) + 1;
  if (outH < 1 || outW < 1) throw new Error(`convPatches: kernel ${kH}x${kW} does not fit the padded ${height}x${width} input`);

  const kept = keptPositions(batch, outH, outW, subsampling);
  const groupChannels = channels / group;
  const colsPerGroup = groupChannels * kH * kW;
  const perGroup = Array.from({ length: group }, () => new Float32Array(kept.length * colsPerGroup));
  for (let p = 0; p < kept.length; p++) {
    const n = Math.floor(kept[p] / (outH * outW));
    const oh = Math.floor(kept[p] / outW) % outH;
    const ow = kept[p] % outW;
    for (let g = 0; g < group; g++) {
      const patch = perGroup[g];
      let col = p * colsPerGroup;
      for (let c = 0; c < groupChannels; c++) {
        const plane = (n * channels + g * groupChannels + c) * height;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * strideH - padTop + kh * dilationH;
          for (let kw = 0; kw < kW; kw++, col++) {
            const iw = ow * strideW - padLeft + kw * dilationW;
            // Padding reads as zero; the Float32Array is already zero there.
            if (ih >= 0 && ih < height && iw >= 0 && iw < width) patch[col] = input[(plane + ih) * width + iw];
          }
        }
      }
    }
  }
  return { perGroup, positions: kept.length, colsPerGroup };
}

// Flat indices (n * outH + oh) * outW + ow of the positions to keep.
function keptPositions(batch: number, outH: number, outW: number, subsampling?: PatchSubsampling): Int32Array {
  const all = () => Int32Array.from({ length: batch * outH * outW }, (_, i) => i);
  if (subsampling === undefined) return all();
  const stride = subsampling.positionStride;
  if (!(Number.isInteger(stride) && stride >= 1)) throw new Error(`convPatches: positionStride ${stride} must be a positive integer`);
  if (stride === 1) return all();
  const rng = new Rng(subsampling.seed);
  const kept: number[] = [];
  for (let row = 0; row < batch * outH; row++) {
    for (let ow = rng.int(stride); ow < outW; ow += stride) kept.push(row * outW + ow);
  }
  return Int32Array.from(kept);
}
