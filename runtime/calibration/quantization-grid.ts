// The set of values a float range can still express once quantized, and the
// squared error of snapping onto it. This fixes the conventions the range
// methods optimise for; the quantizer must use the same ones (they are ORT's):
//   symmetric: zero point 0, codes -q..q with q = 2^(bits-1) - 1 (the most
//     negative code stays unused so the grid is symmetric, as in ORT and
//     TensorRT), scale = max(|min|, |max|) / q;
//   affine: codes 0..2^bits - 1, scale = (max - min) / (2^bits - 1), zero point
//     round(-min / scale), so 0 is exact and the grid shifts by up to half a step.

export interface QuantizationRange {
  min: number;
  max: number;
}

/** Representable values: the integer multiples of `step` in [lowest, highest]. */
export interface QuantizationGrid {
  step: number;
  lowest: number;
  highest: number;
}

const MIN_BITS = 2;
const MAX_BITS = 16;

export function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw new Error(`bits must be an integer in [${MIN_BITS}, ${MAX_BITS}], got ${bits}`);
  }
}

/** Number of steps between the lowest and highest representable value. */
export function stepsAcrossRange(bits: number, symmetric: boolean): number {
  return symmetric ? 2 * (2 ** (bits - 1) - 1) : 2 ** bits - 1;
}

/** The grid of a range that contains 0 and is not empty. */
export function quantizationGrid(range: QuantizationRange, bits: number, symmetric: boolean): QuantizationGrid {
  if (symmetric) {
    const q = 2 ** (bits - 1) - 1;
    const limit = Math.max(-range.min, range.max);
    return { step: limit / q, lowest: -limit, highest: limit };
  }
  const codes = 2 ** bits - 1;
  const step = (range.max - range.min) / codes;
  const zeroPoint = Math.round(-range.min / step);
  return { step, lowest: -zeroPoint * step, highest: (codes - zeroPoint) * step };
}

/** (x - Q(x))^2 for one value. */
export function squaredError(grid: QuantizationGrid, x: number): number {
  if (x <= grid.lowest) return (x - grid.lowest) ** 2;
  if (x >= grid.highest) return (x - grid.highest) ** 2;
  const r = x - grid.step * Math.round(x / grid.step);
  return r * r;
}

/** The integral of (x - Q(x))^2 over [u, v], u <= v: clipping error plus rounding error. */
export function squaredErrorIntegral(grid: QuantizationGrid, u: number, v: number): number {
  const { lowest, highest, step } = grid;
  let integral = 0;
  if (u < lowest) integral += (cube(Math.min(v, lowest) - lowest) - cube(u - lowest)) / 3;
  if (v > highest) integral += (cube(v - highest) - cube(Math.max(u, highest) - highest)) / 3;
  const from = Math.max(u, lowest);
  const to = Math.min(v, highest);
  if (to > from) {
    // Inside the grid the error is the sawtooth x - step * round(x / step):
    // each whole step contributes step^3 / 12 and each partial end r^3 / 3,
    // r being the offset from the nearest grid point. Counting whole steps by
    // index avoids subtracting two large antiderivative values.
    const mFrom = Math.round(from / step);
    const mTo = Math.round(to / step);
    integral += ((mTo - mFrom) * cube(step)) / 12 + (cube(to - mTo * step) - cube(from - mFrom * step)) / 3;
  }
  return integral;
}

function cube(x: number): number {
  return x * x * x;
}
