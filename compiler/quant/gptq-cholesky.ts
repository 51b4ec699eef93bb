// Blocked Cholesky factorization A = L L^T on a row-major Float64Array, in place.
//
// GPTQ factors one cols x cols matrix per layer, up to 4608 x 4608 for a
// 3x3 conv over 512 channels: n^3 / 6 = 1.6e10 multiply-adds. ml-matrix's
// CholeskyDecomposition is the textbook unblocked loop through get/set:
// 3.6 s at n = 2048 on this machine, so ~40 s at 4608. This right-looking
// blocked variant spends almost all its time in addABt (the trailing
// update): cache-resident dot products, split across threads.

import { dot } from './gptq-gemm.ts';
import { addABtInParallel, sharedFloat64Array } from './gptq-gemm-pool.ts';

const PANEL = 64;

/**
 * Reads only the lower triangle (with the diagonal) of the n x n matrix `a`
 * and overwrites it with L. Returns false, with `a` partly overwritten, as
 * soon as a pivot is not clearly positive: A is not numerically positive
 * definite, or holds NaN / Infinity. The strict upper triangle is never
 * touched. Runs on all cores when `a` is a sharedFloat64Array.
 */
export function choleskyLowerInPlace(a: Float64Array, n: number): boolean {
  if (a.length !== n * n) throw new Error(`choleskyLowerInPlace: expected ${n * n} entries, got ${a.length}`);
  // A pivot is a_ii minus a sum of squares no larger than a_ii, computed with
  // a relative error of about n * eps * a_ii: anything below that is zero.
  const pivotFloor = Float64Array.from({ length: n }, (_, i) => n * Number.EPSILON * a[i * (n + 1)]);
  const panel = sharedFloat64Array(n * PANEL);
  for (let k0 = 0; k0 < n; k0 += PANEL) {
    const k1 = Math.min(k0 + PANEL, n);
    const width = k1 - k0;
    // Columns k0..k1 of L, row by row (earlier panels were already
    // subtracted by their trailing updates, so the sums start at k0).
    for (let i = k0; i < n; i++) {
      const rowI = i * n;
      const jEnd = Math.min(i, k1);
      for (let j = k0; j < jEnd; j++) {
        const rowJ = j * n;
        a[rowI + j] = (a[rowI + j] - dot(a, rowI + k0, a, rowJ + k0, j - k0)) / a[rowJ + j];
      }
      if (i < k1) {
        const pivot = a[rowI + i] - dot(a, rowI + k0, a, rowI + k0, i - k0);
        if (!(pivot > 0 && pivot > pivotFloor[i])) return false;
        a[rowI + i] = Math.sqrt(pivot);
      }
    }
    const below = n - k1;
    if (below === 0) break;
    for (let i = 0; i < below; i++) {
      const from = (k1 + i) * n + k0;
      panel.set(a.subarray(from, from + width), i * width);
    }
    addABtInParallel({
      a: panel, b: panel, m: below, n: below, depth: width,
      c: a, cOffset: k1 * n + k1, ldc: n, alpha: -1, lowerOnly: true,
    });
  }
  return true;
}
