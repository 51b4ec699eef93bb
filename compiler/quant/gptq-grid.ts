// The integer grid a weight matrix is rounded onto: one scale and zero point
// per output channel (row), shared code range [qmin, qmax]. The caller picks
// the bit width and range; GPTQ only decides which grid point each weight
// takes. Round-to-nearest on the same grid is GPTQ's baseline.

export interface QuantGrid {
  /** Per row; 0 means the row can only represent 0 (an all-zero channel). */
  scale: Float64Array;
  /** Per row, an integer. */
  zeroPoint: Float64Array;
  qmin: number;
  qmax: number;
}

export interface RoundedWeights {
  /** rows x cols, row-major, each in [qmin, qmax]. */
  codes: Int32Array;
  /** (code - zeroPoint) * scale, what DequantizeLinear will produce. */
  dequantized: Float64Array;
}

/** Throws on a malformed grid: that is a caller bug, never a data condition. */
export function checkGrid(grid: QuantGrid, rows: number): void {
  const { scale, zeroPoint, qmin, qmax } = grid;
  if (scale.length !== rows || zeroPoint.length !== rows) {
    throw new Error(`grid has ${scale.length} scales and ${zeroPoint.length} zero points for ${rows} rows`);
  }
  if (!Number.isInteger(qmin) || !Number.isInteger(qmax) || qmin >= qmax) {
    throw new Error(`grid range [${qmin}, ${qmax}] must be two increasing integers`);
  }
  for (let r = 0; r < rows; r++) {
    if (!(Number.isFinite(scale[r]) && scale[r] >= 0)) throw new Error(`grid scale[${r}] = ${scale[r]} is not a finite non-negative number`);
    if (!Number.isInteger(zeroPoint[r])) throw new Error(`grid zeroPoint[${r}] = ${zeroPoint[r]} is not an integer`);
  }
}

/**
 * clamp(round(w / scale) + zeroPoint, qmin, qmax), rounding half to even
 * like ONNX QuantizeLinear, so that these codes are the ones QuantizeLinear
 * would produce from the same (unmodified) weight.
 */
export function nearestCode(w: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const q = scale > 0 ? roundHalfToEven(w / scale) + zeroPoint : zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

export function roundToNearest(weights: Float64Array, grid: QuantGrid): RoundedWeights {
  const rows = grid.scale.length;
  checkGrid(grid, rows);
  if (rows === 0 || weights.length % rows !== 0) throw new Error(`${weights.length} weights do not split into ${rows} rows`);
  const cols = weights.length / rows;
  const codes = new Int32Array(weights.length);
  const dequantized = new Float64Array(weights.length);
  for (let r = 0; r < rows; r++) {
    const scale = grid.scale[r], zeroPoint = grid.zeroPoint[r];
    for (let k = r * cols; k < (r + 1) * cols; k++) {
      const code = nearestCode(weights[k], scale, zeroPoint, grid.qmin, grid.qmax);
      codes[k] = code;
      dequantized[k] = (code - zeroPoint) * scale;
    }
  }
  return { codes, dequantized };
}

function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends halves up; pull odd results of exact halves back down.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
