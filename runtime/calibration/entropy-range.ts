// TensorRT's entropy calibration: among candidate clipping ranges, pick the one
// whose quantized histogram Q loses least information about the clipped
// histogram P (clipped-off counts folded into the edge bins): min KL(P || Q).
// Q merges the window's bins into `levels` cells and spreads each cell's mass
// evenly over the cell's occupied bins, as TensorRT and MXNet do.
//
// Generalised from TensorRT's 2048 bins / 128 levels:
//   symmetric: |x| over [0, T], 2^(bits-1) levels; T runs over the bin edges
//     from `levels` bins up (TensorRT's setting at 8 bits).
//   affine (our extension): x over [lo, hi] with 0 inside, 2^bits levels; lo
//     and hi are bin edges found by coordinate descent (best hi for the current
//     lo, then best lo for that hi, until neither moves), since the full 2-D
//     search costs O(bins^3).
// Cells are assigned by bin centre, so a window whose bin count is not a
// multiple of `levels` gets cells of floor/ceil size instead of TensorRT's
// remainder-in-the-last-cell. The chosen edge is the window's upper bin edge
// (TensorRT reports the middle of the last bin, half a bin less).
// A window narrower than `levels` bins cannot show rounding loss at all, so
// when the histogram has fewer bins than levels the full range is returned.

import { coarsened, magnitudeGridCounts, signedGridCounts, type GridCounts } from './binned-distribution.ts';
import type { QuantizationRange } from './quantization-grid.ts';
import type { StreamingHistogram } from './streaming-histogram.ts';

// A cell Q leaves empty where P has mass would make KL infinite; like MXNet's
// smoothing, price it as if the cell held this many samples.
const EMPTY_CELL_COUNT = 1e-4;

// TensorRT's resolution. More bins would not change the method's nature, but
// its cost grows with their square (per descent round, for affine).
const ENTROPY_BINS = 2048;

export function entropyRange(h: StreamingHistogram, bits: number, symmetric: boolean): QuantizationRange {
  if (symmetric) {
    const grid = coarsened(magnitudeGridCounts(h), ENTROPY_BINS);
    const divergence = new WindowDivergence(grid, 2 ** (bits - 1));
    const end = grid.first + grid.counts.length;
    const b = divergence.bestUpperEdge(0, end);
    const limit = Math.min(b * grid.width, grid.highest);
    return { min: -limit, max: limit };
  }
  const grid = coarsened(signedGridCounts(h), ENTROPY_BINS);
  const divergence = new WindowDivergence(grid, 2 ** bits);
  const lowestA = Math.min(grid.first, 0);
  const highestB = Math.max(grid.first + grid.counts.length, 0);
  let a = lowestA;
  let b = highestB;
  for (let round = 0; round < 16; round++) {
    const nextB = divergence.bestUpperEdge(a, highestB);
    const nextA = divergence.bestLowerEdge(lowestA, nextB);
    if (nextA === a && nextB === b) break;
    a = nextA;
    b = nextB;
  }
  return { min: Math.max(a * grid.width, Math.min(grid.lowest, 0)), max: Math.min(b * grid.width, Math.max(grid.highest, 0)) };
}

/** KL(P || Q) for windows [a, b) of grid indices, a <= 0 <= b. */
class WindowDivergence {
  private readonly prefix: Float64Array;
  private readonly total: number;
  private readonly cellMass: Float64Array;
  private readonly cellOccupied: Float64Array;
  /** P over the data bins of the window being scored (scratch). */
  private readonly reference: Float64Array;

  constructor(
    private readonly grid: GridCounts,
    private readonly levels: number,
  ) {
    this.prefix = new Float64Array(grid.counts.length + 1);
    grid.counts.forEach((c, j) => (this.prefix[j + 1] = this.prefix[j] + c));
    this.total = this.prefix[grid.counts.length];
    this.cellMass = new Float64Array(levels);
    this.cellOccupied = new Float64Array(levels);
    this.reference = new Float64Array(grid.counts.length);
  }

  /** The upper edge in [a + levels, maxB] (and past the first data bin) with least divergence; maxB if none qualifies. */
  bestUpperEdge(a: number, maxB: number): number {
    let best = maxB;
    let bestDivergence = Infinity;
    for (let b = Math.max(0, a + this.levels, this.grid.first + 1); b <= maxB; b++) {
      const d = this.of(a, b);
      if (d < bestDivergence) [best, bestDivergence] = [b, d];
    }
    return best;
  }

  /** The lower edge in [minA, b - levels] (and before the last data bin) with least divergence; minA if none qualifies. */
  bestLowerEdge(minA: number, b: number): number {
    let best = minA;
    let bestDivergence = Infinity;
    for (let a = Math.min(0, b - this.levels, this.grid.first + this.grid.counts.length - 1); a >= minA; a--) {
      const d = this.of(a, b);
      if (d < bestDivergence) [best, bestDivergence] = [a, d];
    }
    return best;
  }

  private massBelow(k: number): number {
    return this.prefix[Math.min(Math.max(k - this.grid.first, 0), this.grid.counts.length)];
  }

  of(a: number, b: number): number {
    const { counts, first } = this.grid;
    const below = this.massBelow(a);
    const above = this.total - this.massBelow(b);
    const inside = this.total - below - above;
    if (inside === 0) return Infinity;
    const cellsPerBin = this.levels / (b - a);
    const cellMass = this.cellMass.fill(0);
    const cellOccupied = this.cellOccupied.fill(0);
    // Bins outside the data hold nothing; outliers land in bins a and b - 1,
    // which are data bins whenever there are outliers.
    const from = Math.max(a, first);
    const to = Math.min(b, first + counts.length);
    const p = this.reference;
    for (let k = from; k < to; k++) {
      const sliced = counts[k - first];
      p[k - from] = sliced + (k === a ? below : 0) + (k === b - 1 ? above : 0);
      if (p[k - from] === 0) continue;
      const cell = Math.floor((k - a + 0.5) * cellsPerBin);
      cellMass[cell] += sliced;
      cellOccupied[cell]++;
    }
    let divergence = 0;
    for (let k = from; k < to; k++) {
      const pk = p[k - from];
      if (pk === 0) continue;
      const cell = Math.floor((k - a + 0.5) * cellsPerBin);
      const q = cellMass[cell] / cellOccupied[cell] || EMPTY_CELL_COUNT;
      divergence += pk * Math.log((pk * inside) / (q * this.total));
    }
    return divergence / this.total;
  }
}
