// Quantization schemes and the arithmetic shared by every pass that emits or
// reasons about integer tensors. Conventions (the same as onnxruntime's and as
// the calibration range methods assume):
//   symmetric, signed:  codes in [-(2^(b-1) - 1), 2^(b-1) - 1], zero point 0
//   affine:             scale = (max - min) / (2^b - 1), zero point rounded,
//                       codes in [0, 2^b - 1] (shifted to the container's range)
// A b-bit scheme may live in a wider container (6-bit codes in int8): the codes
// still take only 2^b values.

import { DataType } from '../ir/data-type.ts';

export interface QuantScheme {
  /** 2..16 */
  bits: number;
  symmetric: boolean;
  /** Signed container (int8/int4/int16) or unsigned. */
  signed: boolean;
  /** Per output channel (weights) or one scale for the tensor. */
  perChannel: boolean;
}

export interface QuantParams {
  /** One per channel, or one. */
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** Code range actually used (inside the container's). */
  qmin: number;
  qmax: number;
  container: DataType;
}

export const MIN_BITS = 2;
export const MAX_BITS = 16;

/** Opset that first allows the 4-bit and 16-bit containers in QuantizeLinear/DequantizeLinear. */
export const SUB_BYTE_AND_16BIT_OPSET = 21;
/** Opset with per-axis QuantizeLinear/DequantizeLinear. */
export const PER_AXIS_OPSET = 13;

/**
 * The smallest ONNX integer type that holds `bits` at `opset`: int4/uint4 only
 * when packed 4-bit storage is wanted and the opset allows it; int16 needs 21.
 */
export function containerFor(bits: number, signed: boolean, opset: number, packSubByte: boolean): DataType {
  if (bits <= 4 && packSubByte && opset >= SUB_BYTE_AND_16BIT_OPSET) return signed ? DataType.INT4 : DataType.UINT4;
  if (bits <= 8) return signed ? DataType.INT8 : DataType.UINT8;
  return signed ? DataType.INT16 : DataType.UINT16;
}

export function containerRange(container: DataType): [number, number] {
  switch (container) {
    case DataType.INT4: return [-8, 7];
    case DataType.UINT4: return [0, 15];
    case DataType.INT8: return [-128, 127];
    case DataType.UINT8: return [0, 255];
    case DataType.INT16: return [-32768, 32767];
    case DataType.UINT16: return [0, 65535];
    default: throw new Error(`not an integer container: ${container}`);
  }
}

/** The code range a scheme uses. Symmetric schemes drop the most negative code so the range is balanced. */
export function codeRange(scheme: QuantScheme, container: DataType): [number, number] {
  const [cmin] = containerRange(container);
  const levels = 2 ** scheme.bits;
  if (scheme.symmetric) {
    const half = levels / 2 - 1;
    return cmin < 0 ? [-half, half] : [0, 2 * half];
  }
  return cmin < 0 ? [-(levels / 2), levels / 2 - 1] : [0, levels - 1];
}

/** Parameters for a float range [min, max] (widened to contain 0, as ONNX requires). */
export function paramsForRange(min: number, max: number, scheme: QuantScheme, container: DataType): { scale: number; zeroPoint: number; qmin: number; qmax: number } {
  const [qmin, qmax] = codeRange(scheme, container);
  let lo = Math.min(min, 0), hi = Math.max(max, 0);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`cannot quantize a non-finite range [${min}, ${max}]`);
  if (scheme.symmetric) {
    const m = Math.max(-lo, hi);
    const scale = m > 0 ? m / ((qmax - qmin) / 2) : 1;
    const zeroPoint = qmin < 0 ? 0 : (qmin + qmax) / 2;
    return { scale: Math.fround(scale), zeroPoint, qmin, qmax };
  }
  if (hi - lo === 0) {
    lo = 0;
    hi = 1;
  }
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / scale)));
  return { scale, zeroPoint, qmin, qmax };
}

/** Round half to even, as QuantizeLinear does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const q = roundHalfEven(x / scale) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/**
 * Quantizes a weight with one scale per slice along `axis` (or one for all).
 * Returns integer codes plus the parameters; the caller stores the codes in
 * the container type.
 */
export function quantizeWeight(values: Float32Array, dims: readonly number[], axis: number | null, scheme: QuantScheme, container: DataType): { codes: Int32Array; params: QuantParams } {
  const channels = axis === null ? 1 : dims[axis];
  const inner = axis === null ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = axis === null ? 1 : dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const lo = new Float64Array(channels).fill(Infinity), hi = new Float64Array(channels).fill(-Infinity);
  forEachChannel(values.length, channels, inner, outer, (i, c) => {
    const v = values[i];
    if (v < lo[c]) lo[c] = v;
    if (v > hi[c]) hi[c] = v;
  });
  const scale = new Float32Array(channels), zeroPoint = new Int32Array(channels);
  let qmin = 0, qmax = 0;
  for (let c = 0; c < channels; c++) {
    const p = paramsForRange(lo[c], hi[c], scheme, container);
    scale[c] = p.scale;
    zeroPoint[c] = p.zeroPoint;
    qmin = p.qmin;
    qmax = p.qmax;
  }
  const codes = new Int32Array(values.length);
  forEachChannel(values.length, channels, inner, outer, (i, c) => {
    codes[i] = quantizeValue(values[i], scale[c], zeroPoint[c], qmin, qmax);
  });
  return { codes, params: { scale, zeroPoint, qmin, qmax, container } };
}

/** Calls fn(flatIndex, channel) for every element of a tensor split along one axis. */
export function forEachChannel(length: number, channels: number, inner: number, outer: number, fn: (i: number, c: number) => void): void {
  if (channels === 1) {
    for (let i = 0; i < length; i++) fn(i, 0);
    return;
  }
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      for (let k = 0; k < inner; k++) fn(i++, c);
    }
  }
}
