// Two readings of a StreamingHistogram that the range methods share:
//   GridCounts: counts on the power-of-two grid (bin k = [k*w, (k+1)*w)), of
//     x or of |x|; 0 is always a bin edge, so candidate ranges can be whole bins.
//   BinnedDistribution: a density, each non-empty bin's count spread
//     uniformly over the part of the bin inside the data's exact extent (the
//     extremes are known exactly, which sharpens the outermost bins and turns
//     a constant tensor into a point mass).

import type { StreamingHistogram } from './streaming-histogram.ts';

export interface GridCounts {
  /** Bin width. */
  width: number;
  /** Grid index of counts[0]. */
  first: number;
  counts: Float64Array;
  /** The values lie in [lowest, highest] (within the first and last bin). */
  lowest: number;
  highest: number;
}

export interface BinnedDistribution {
  lower: Float64Array;
  upper: Float64Array;
  counts: Float64Array;
  total: number;
}

export function signedGridCounts(h: StreamingHistogram): GridCounts {
  return { width: h.binWidth, first: h.firstBinIndex, counts: h.binCounts(), lowest: h.min, highest: h.max };
}

/**
 * The histogram of |x|: bin k >= 0 keeps its index, bin k < 0, i.e. [k*w, (k+1)*w),
 * holds |x| in ((-k-1)*w, -k*w] and becomes bin -k-1.
 */
export function magnitudeGridCounts(h: StreamingHistogram): GridCounts {
  const signed = h.binCounts();
  const first = h.firstBinIndex;
  const last = first + signed.length - 1;
  const lowestFolded = first >= 0 ? first : last < 0 ? -last - 1 : 0;
  const highestFolded = Math.max(last, -first - 1);
  const counts = new Float64Array(highestFolded - lowestFolded + 1);
  for (let j = 0; j < signed.length; j++) {
    const k = first + j;
    counts[(k >= 0 ? k : -k - 1) - lowestFolded] += signed[j];
  }
  const lowest = h.min >= 0 ? h.min : h.max <= 0 ? -h.max : 0;
  return { width: h.binWidth, first: lowestFolded, counts, lowest, highest: Math.max(-h.min, h.max) };
}

/**
 * The same counts on a grid 2^k times coarser, with at most maxBins bins.
 * Exact, because the grids are nested: each bin lies in one coarser bin.
 */
export function coarsened(grid: GridCounts, maxBins: number): GridCounts {
  let ratio = 1;
  const binsAt = (r: number) => Math.floor((grid.first + grid.counts.length - 1) / r) - Math.floor(grid.first / r) + 1;
  while (binsAt(ratio) > maxBins) ratio *= 2;
  if (ratio === 1) return grid;
  const first = Math.floor(grid.first / ratio);
  const counts = new Float64Array(binsAt(ratio));
  grid.counts.forEach((c, j) => (counts[Math.floor((grid.first + j) / ratio) - first] += c));
  return { ...grid, width: grid.width * ratio, first, counts };
}

export function distributionOf(grid: GridCounts): BinnedDistribution {
  const lower: number[] = [];
  const upper: number[] = [];
  const counts: number[] = [];
  let total = 0;
  grid.counts.forEach((c, j) => {
    if (c === 0) return;
    const k = grid.first + j;
    lower.push(Math.max(k * grid.width, grid.lowest));
    upper.push(Math.min((k + 1) * grid.width, grid.highest));
    counts.push(c);
    total += c;
  });
  return { lower: Float64Array.from(lower), upper: Float64Array.from(upper), counts: Float64Array.from(counts), total };
}

/** The value below which a fraction q of the mass lies, interpolating inside a bin. */
export function quantile(d: BinnedDistribution, q: number): number {
  const target = q * d.total;
  let below = 0;
  for (let j = 0; j < d.counts.length; j++) {
    const c = d.counts[j];
    if (below + c >= target) {
      const fraction = Math.min(1, Math.max(0, (target - below) / c));
      return d.lower[j] + fraction * (d.upper[j] - d.lower[j]);
    }
    below += c;
  }
  return d.upper[d.upper.length - 1];
}
