// The GPTQ Hessian of one layer, H = sum over samples of x x^T, where x is
// one input column of the layer (an im2col patch of a Conv's input, or a row
// of a MatMul's input). Streamed: batches arrive one at a time and only the
// cols x cols sum is kept, in Float64 because it adds up millions of
// products of float32 activations. The paper's factor 2 / n is left out:
// GPTQ's result does not change when H is scaled.

import { addABtInParallel, sharedFloat64Array } from './gptq-gemm-pool.ts';

// Samples per symmetric rank-k update: enough depth for the kernel's dot
// products, and a staging buffer of cols x 128 doubles (4.7 MB at 4608).
const CHUNK_SAMPLES = 128;

export class HessianAccumulator {
  readonly cols: number;
  // Only the lower triangle (with the diagonal) is accumulated; hessian()
  // mirrors it. The update costs half the multiply-adds of a full one.
  private readonly lowerSum: Float64Array;
  private readonly staging: Float64Array;
  private samples = 0;

  constructor(cols: number) {
    if (!(Number.isInteger(cols) && cols >= 1)) throw new Error(`HessianAccumulator: cols ${cols} must be a positive integer`);
    this.cols = cols;
    this.lowerSum = sharedFloat64Array(cols * cols);
    this.staging = sharedFloat64Array(cols * CHUNK_SAMPLES);
  }

  /** Number of samples (x vectors) accumulated so far. */
  get count(): number {
    return this.samples;
  }

  /** @param batch n x cols, row-major: one sample per row. */
  addBatch(batch: Float32Array | Float64Array): void {
    const cols = this.cols;
    if (batch.length % cols !== 0) throw new Error(`HessianAccumulator: batch of ${batch.length} values is not a multiple of ${cols} columns`);
    const n = batch.length / cols;
    for (let s0 = 0; s0 < n; s0 += CHUNK_SAMPLES) {
      const depth = Math.min(CHUNK_SAMPLES, n - s0);
      // Transposed, so that H_ij is a dot product of two contiguous rows.
      for (let s = 0; s < depth; s++) {
        const from = (s0 + s) * cols;
        for (let i = 0; i < cols; i++) this.staging[i * depth + s] = batch[from + i];
      }
      addABtInParallel({
        a: this.staging, b: this.staging, m: cols, n: cols, depth,
        c: this.lowerSum, cOffset: 0, ldc: cols, alpha: 1, lowerOnly: true,
      });
    }
    this.samples += n;
  }

  /** Adds another accumulator's samples, e.g. from another calibration shard. */
  merge(other: HessianAccumulator): void {
    if (other.cols !== this.cols) throw new Error(`HessianAccumulator: cannot merge ${other.cols} columns into ${this.cols}`);
    for (let k = 0; k < this.lowerSum.length; k++) this.lowerSum[k] += other.lowerSum[k];
    this.samples += other.samples;
  }

  /**
   * The full symmetric cols x cols matrix, row-major: the sum of x x^T, or
   * with `average` its mean over the samples (all zeros before any sample).
   */
  hessian(options: { average?: boolean } = {}): Float64Array {
    const cols = this.cols;
    const factor = options.average && this.samples > 0 ? 1 / this.samples : 1;
    const h = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j <= i; j++) {
        const v = this.lowerSum[i * cols + j] * factor;
        h[i * cols + j] = v;
        h[j * cols + i] = v;
      }
    }
    return h;
  }
}
