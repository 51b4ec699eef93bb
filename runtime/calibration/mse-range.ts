// The range that minimises the expected squared quantization error, clipping
// error plus rounding error, under the histogram read as a piecewise-uniform
// density and the exact quantization grid the range induces (for affine ranges
// that includes the zero point snapping to an integer). Symmetric: a 1-D
// search over the limit T in (0, max|x|]; affine: a 2-D search over
// lo in [min, 0] x hi in [0, max]; both coarse-to-fine grids.
// Costs about (evaluations x non-empty bins): 256 x bins symmetric, 1280 x bins affine.

import { distributionOf, signedGridCounts, type BinnedDistribution } from './binned-distribution.ts';
import { coarseToFineMinimum } from './grid-search.ts';
import { quantizationGrid, squaredError, squaredErrorIntegral, type QuantizationRange } from './quantization-grid.ts';
import type { StreamingHistogram } from './streaming-histogram.ts';

export function mseRange(h: StreamingHistogram, bits: number, symmetric: boolean): QuantizationRange {
  const d = distributionOf(signedGridCounts(h));
  const errorOf = (range: QuantizationRange) =>
    range.max > range.min ? expectedSquaredError(d, range, bits, symmetric) : Infinity;
  if (symmetric) {
    const [limit] = coarseToFineMinimum(([t]) => errorOf({ min: -t, max: t }), [[0, Math.max(-h.min, h.max)]], 64, 4);
    return { min: -limit, max: limit };
  }
  const box = [
    [Math.min(h.min, 0), 0],
    [0, Math.max(h.max, 0)],
  ] as const;
  const [min, max] = coarseToFineMinimum(([lo, hi]) => errorOf({ min: lo, max: hi }), box, 16, 5);
  if (!(max > min)) return { min, max };
  // Report the grid's own extent: the range the error was computed for, with
  // the zero point already snapped, so the quantizer recovers the same grid
  // however it rounds (a raw range can sit on a zero point's .5 boundary).
  const grid = quantizationGrid({ min, max }, bits, symmetric);
  return { min: grid.lowest, max: grid.highest };
}

/** E[(x - Q(x))^2] over the distribution, for the grid of `range`. */
function expectedSquaredError(d: BinnedDistribution, range: QuantizationRange, bits: number, symmetric: boolean): number {
  const grid = quantizationGrid(range, bits, symmetric);
  let error = 0;
  for (let j = 0; j < d.counts.length; j++) {
    const u = d.lower[j];
    const v = d.upper[j];
    error += d.counts[j] * (v > u ? squaredErrorIntegral(grid, u, v) / (v - u) : squaredError(grid, u));
  }
  return error / d.total;
}
