// GPTQ weight rounding (Frantar et al. 2022, "GPTQ: Accurate Post-Training
// Quantization for Generative Pre-trained Transformers").
//
// Rounds a layer's weights W (rows = output channels, cols = input features)
// onto a given per-channel grid so as to keep the layer's output close on the
// calibration inputs: minimize ||W X^T - Q X^T||_F^2 = tr(dW H dW^T) with
// H = X^T X (paper eq. 1). Columns are rounded one at a time, in order, and
// each rounding error is compensated on the columns not yet rounded by the
// optimal-brain-surgeon update (eq. 2-3), which only depends on H.
//
// The paper's Algorithm 1 propagates err_i = (w'_i - q_i) / U_ii along row i
// of U, the upper Cholesky factor of H^-1 (H^-1 = U^T U):
//     w'_j -= err_i * U_ij        for every j > i.
// Summed over i that recursion says W - Q = Err U, so Err = (W - Q) R with
// R = U^-1: upper triangular and H = R R^T. Reading column j back out:
//     w'_j = w_j + sum_{i<j} (w_i - q_i) * R_ij / R_jj                   (*)
// where w are the ORIGINAL weights. (For two columns this is the familiar
// w'_2 = w_2 + (w_1 - q_1) H_12 / H_22.) So the very same updates need only R,
// a Cholesky factor of H itself read from the bottom-right corner: with J the
// order reversal and J H J = L L^T, R = J L J. That is one n^3/6
// factorization instead of the paper's Cholesky, inverse and second Cholesky,
// and no explicit inverse to lose precision in. The blocked loop, lazy batch
// updates, dead inputs, damping and act-order are the paper's; the test
// suite checks the result against a literal Algorithm 1.
//
// The same identity gives the objective for free: (W - Q) H (W - Q)^T =
// Err U H U^T Err^T = Err Err^T, and Err_j = (w'_j - q_j) * R_jj.

import { choleskyLowerInPlace } from './gptq-cholesky.ts';
import { addABtInParallel, sharedFloat64Array } from './gptq-gemm-pool.ts';
import { checkGrid, nearestCode, roundToNearest, type QuantGrid, type RoundedWeights } from './gptq-grid.ts';

export interface GptqOptions {
  /** Damping lambda as a fraction of mean(diag H) over live inputs, added to diag H. Default 0.01. */
  dampPercent?: number;
  /** Columns per lazy batch update (paper step 2). Changes speed only. Default 128. */
  blockSize?: number;
  /** Round columns in order of decreasing H_ii ("act-order"). Default false. */
  actOrder?: boolean;
}

export interface GptqStats {
  /** Input features with H_ii = 0: never nonzero in calibration, rounded as weight 0. */
  deadColumns: number;
  /** The lambda that was added to diag H in the factorization that succeeded. */
  damping: number;
  /** damping / mean of the live diag H; dampPercent unless it had to be raised. */
  dampPercentUsed: number;
  /** How many times damping was multiplied by 10 because H + lambda I was not positive definite. */
  dampingIncreases: number;
  /** H could not be factored at any damping (NaN/Infinity in it): the result is round-to-nearest. */
  fellBackToNearest: boolean;
  /**
   * tr(dW (H + lambda I) dW^T) for dW = W - dequantized, with dead columns of
   * W taken as 0 (they never meet a nonzero input). NaN after a fallback.
   */
  hessianError: number;
}

export interface GptqResult extends RoundedWeights {
  stats: GptqStats;
}

const MAX_DAMPING_INCREASES = 4;
// Retries multiply damping by 10; from a requested 0 they start here instead.
const MIN_RETRY_DAMP_PERCENT = 1e-4;

/**
 * @param weights rows x cols, row-major: one row per output channel.
 * @param hessian cols x cols, symmetric (both triangles are read), e.g. from
 *   HessianAccumulator; any positive scale of it gives the same result.
 */
export function gptqQuantize(weights: Float64Array, hessian: Float64Array, grid: QuantGrid, options: GptqOptions = {}): GptqResult {
  const { dampPercent = 0.01, blockSize = 128, actOrder = false } = options;
  const rows = grid.scale.length;
  checkGrid(grid, rows);
  const cols = rows > 0 ? weights.length / rows : 0;
  if (!Number.isInteger(cols) || cols === 0) throw new Error(`gptqQuantize: ${weights.length} weights do not form ${rows} non-empty rows`);
  if (hessian.length !== cols * cols) throw new Error(`gptqQuantize: Hessian has ${hessian.length} entries, expected ${cols} x ${cols}`);
  if (!(Number.isFinite(dampPercent) && dampPercent >= 0)) throw new Error(`gptqQuantize: dampPercent ${dampPercent} must be a finite number >= 0`);
  if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw new Error(`gptqQuantize: blockSize ${blockSize} must be a positive integer`);

  const dead = findDeadInputs(hessian, cols);
  const deadColumns = dead.reduce((n, d) => n + d, 0);
  const order = actOrder ? decreasingCurvatureOrder(hessian, dead, cols) : Int32Array.from({ length: cols }, (_, i) => i);
  const factor = factorDampedHessian(hessian, cols, dead, order, dampPercent);
  if (factor === null) {
    return {
      ...roundToNearest(weights, grid),
      stats: { deadColumns, damping: NaN, dampPercentUsed: NaN, dampingIncreases: MAX_DAMPING_INCREASES, fellBackToNearest: true, hessianError: NaN },
    };
  }
  const { codes, dequantized, hessianError } = roundColumnsInOrder(weights, grid, rows, cols, dead, order, factor, blockSize);
  return {
    codes,
    dequantized,
    stats: {
      deadColumns,
      damping: factor.damping,
      dampPercentUsed: factor.dampPercent,
      dampingIncreases: factor.dampingIncreases,
      fellBackToNearest: false,
      hessianError,
    },
  };
}

function findDeadInputs(hessian: Float64Array, cols: number): Uint8Array {
  const dead = new Uint8Array(cols);
  for (let i = 0; i < cols; i++) dead[i] = hessian[i * cols + i] === 0 ? 1 : 0;
  return dead;
}

// "act-order", from the authors' reference code: features with the largest
// activations are rounded first, while many columns remain to absorb their
// error. Dead columns carry no information and go last.
function decreasingCurvatureOrder(hessian: Float64Array, dead: Uint8Array, cols: number): Int32Array {
  const key = (i: number) => (dead[i] ? -Infinity : hessian[i * cols + i]);
  const order = Array.from({ length: cols }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
  return Int32Array.from(order);
}

interface HessianFactor {
  /**
   * Strict upper triangle, in processing order: [i * n + j] = R_ij / R_jj,
   * the share of column i's error w_i - q_i that (*) adds to column j.
   * The rest of the buffer is scratch.
   */
  propagation: Float64Array;
  /** R_jj in processing order. */
  rDiagonal: Float64Array;
  damping: number;
  dampPercent: number;
  dampingIncreases: number;
}

// H + lambda I, with lambda raised tenfold while the Cholesky factorization
// fails (rank-deficient H plus rounding, or an H that is not PSD at all).
// Dead inputs are decoupled from the rest and given the mean live H_ii, so
// they cannot break it and change nothing else. (The reference code sets
// them to 1, which makes lambda, and so the result, depend on H's scale.)
function factorDampedHessian(hessian: Float64Array, n: number, dead: Uint8Array, order: Int32Array, dampPercent: number): HessianFactor | null {
  let liveSum = 0, live = 0;
  for (let i = 0; i < n; i++) {
    if (dead[i]) continue;
    liveSum += hessian[i * n + i];
    live++;
  }
  const meanDiagonal = live > 0 ? liveSum / live : 1;
  const work = sharedFloat64Array(n * n);
  for (let increases = 0; increases <= MAX_DAMPING_INCREASES; increases++) {
    const fraction = increases === 0 ? dampPercent : Math.max(dampPercent, MIN_RETRY_DAMP_PERCENT) * 10 ** increases;
    const damping = fraction * meanDiagonal;
    fillReversedDampedHessian(hessian, n, dead, order, meanDiagonal, damping, work);
    if (choleskyLowerInPlace(work, n)) {
      return { ...propagationFromReversedFactor(work, n), damping, dampPercent: fraction, dampingIncreases: increases };
    }
  }
  return null;
}

// Lower triangle of J P^T (H + lambda I) P J, P the processing order.
function fillReversedDampedHessian(
  hessian: Float64Array, n: number, dead: Uint8Array, order: Int32Array,
  deadDiagonal: number, damping: number, work: Float64Array,
): void {
  for (let a = 0; a < n; a++) {
    const colA = order[n - 1 - a];
    const rowH = colA * n;
    for (let b = 0; b < a; b++) {
      const colB = order[n - 1 - b];
      work[a * n + b] = dead[colA] || dead[colB] ? 0 : hessian[rowH + colB];
    }
    work[a * n + a] = (dead[colA] ? deadDiagonal : hessian[rowH + colA]) + damping;
  }
}

// R = J L J, so R_ij = L[n-1-i][n-1-j]: the strict upper triangle written
// here is filled only from the lower triangle and diagonal, so in place is safe.
function propagationFromReversedFactor(work: Float64Array, n: number): Pick<HessianFactor, 'propagation' | 'rDiagonal'> {
  const rDiagonal = new Float64Array(n);
  for (let j = 0; j < n; j++) rDiagonal[j] = work[(n - 1 - j) * (n + 1)];
  for (let i = 0; i < n; i++) {
    const sourceRowEnd = (n - 1 - i) * n + (n - 1);
    for (let j = i + 1; j < n; j++) work[i * n + j] = work[sourceRowEnd - j] / rDiagonal[j];
  }
  return { propagation: work, rDiagonal };
}

function roundColumnsInOrder(
  weights: Float64Array, grid: QuantGrid, rows: number, cols: number,
  dead: Uint8Array, order: Int32Array, factor: HessianFactor, blockSize: number,
): RoundedWeights & { hessianError: number } {
  const { propagation, rDiagonal } = factor;
  const { scale, zeroPoint, qmin, qmax } = grid;
  const codes = new Int32Array(rows * cols);
  const dequantized = new Float64Array(rows * cols);
  // w'_j of (*) for every column j in processing order, one contiguous
  // column per j, so that updates are unit-stride.
  const pending = sharedFloat64Array(cols * rows);
  for (let j = 0; j < cols; j++) {
    const col = order[j];
    if (dead[col]) continue;
    for (let r = 0; r < rows; r++) pending[j * rows + r] = weights[r * cols + col];
  }
  const width = Math.min(blockSize, cols);
  // w_i - q_i of the current block's columns, per column and transposed per row.
  const blockErrors = new Float64Array(width * rows);
  const blockErrorsByRow = sharedFloat64Array(rows * width);
  const laterShares = sharedFloat64Array(cols * width);
  let hessianError = 0;

  for (let i1 = 0; i1 < cols; i1 += blockSize) {
    const i2 = Math.min(i1 + blockSize, cols);
    const blockWidth = i2 - i1;
    for (let t = 0; t < blockWidth; t++) {
      const j = i1 + t;
      const col = order[j];
      const isDead = dead[col] === 1;
      for (let r = 0; r < rows; r++) {
        const w = pending[j * rows + r];
        const code = nearestCode(w, scale[r], zeroPoint[r], qmin, qmax);
        const q = (code - zeroPoint[r]) * scale[r];
        codes[r * cols + col] = code;
        dequantized[r * cols + col] = q;
        blockErrors[t * rows + r] = (isDead ? 0 : weights[r * cols + col]) - q;
        const err = (w - q) * rDiagonal[j];
        hessianError += err * err;
      }
      // Within the block, apply (*) at once: the next column needs it now.
      for (let k = j + 1; k < i2; k++) {
        const share = propagation[j * cols + k];
        if (share === 0) continue;
        for (let r = 0; r < rows; r++) pending[k * rows + r] += share * blockErrors[t * rows + r];
      }
    }
    if (i2 === cols) break;
    // Lazy batch update (paper step 2): the block's errors reach all later
    // columns in one matrix product, pending[i2:] += Shares * Errors.
    const later = cols - i2;
    for (let t = 0; t < blockWidth; t++) {
      const from = (i1 + t) * cols + i2;
      for (let k = 0; k < later; k++) laterShares[k * blockWidth + t] = propagation[from + k];
    }
    for (let t = 0; t < blockWidth; t++) {
      for (let r = 0; r < rows; r++) blockErrorsByRow[r * blockWidth + t] = blockErrors[t * rows + r];
    }
    addABtInParallel({
      a: laterShares, b: blockErrorsByRow, m: later, n: rows, depth: blockWidth,
      c: pending, cOffset: i2 * rows, ldc: rows, alpha: 1, lowerOnly: false,
    });
  }
  return { codes, dequantized, hessianError };
}
