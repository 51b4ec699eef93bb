// TensorRT's entropy calibration: among candidate clipping ranges, pick the one
// whose quantized histogram Q loses least information about the clipped
// histogram P (clipped-off counts folded into the edge bins): min KL(P || Q).
// Q merges the window's bins into `levels` cells and spreads each cell's mass
// evenly over the cell's occupied bins, as TensorRT and MXNet do.
//
// Generalised from TensorRT's 2048 bins / 128 levels:
//   symmetric: |x| over [0, T], 2^(bits-1) levels; T runs over the bin edges
//     from `levels` bins up (TensorRT's setting at 8 bits).
//   affine: the symmetric threshold T, intersected with the data's [min, max].
//     (A coordinate descent over both edges was tried first: on real
//     activations it settled on windows that cut off one sign entirely, e.g.
//     [-1.46, 0.004] for a tensor spanning [-1.9, 2.0], and wrecked accuracy.)
// Cells are assigned by bin centre, so a window whose bin count is not a
// multiple of `levels` gets cells of floor/ceil size instead of TensorRT's
// remainder-in-the-last-cell. The chosen edge is the window's upper bin edge
// (TensorRT reports the middle of the last bin, half a bin less).
// A window narrower than `levels` bins cannot show rounding loss at all, so
// when the histogram has fewer bins than levels the full range is returned.
//
// The bin holding 0 takes its neighbour's count before the search, as
// NVIDIA's TensorRT calibrator (pytorch-quantization) does. Real activations
// often pile a large share of their values there: exact zeros after ReLU, or
// dead channels whose outputs are ~1e-30 (half the values of some tensors of
// our face models). The quantizer codes that spike as 0 almost exactly,
// whatever the threshold, but Q spreads it over the first level's bins, and
// the KL charged for that grows with the level's width: left in, the spike
// outweighs everything else and drives the threshold to the smallest
// candidates (0.375 instead of 1.48 on a tensor spanning [-1.9, 2.0]). The
// search stays on our own grid, of 512 to 2048 bins over [0, max|x|]:
// resampling it onto TensorRT's 2048 bins would only invent flat structure
// inside our bins; tried on our models, it brought some thresholds closer to
// TensorRT's and others further away (up to 48%), so it is not done.

import { coarsened, magnitudeGridCounts, type GridCounts } from './binned-distribution.ts';
import type { QuantizationRange } from './quantization-grid.ts';
import type { StreamingHistogram } from './streaming-histogram.ts';

// A cell Q leaves empty where P has mass would make KL infinite; like MXNet's
// smoothing, price it as if the cell held this many samples.
const EMPTY_CELL_COUNT = 1e-4;

// TensorRT's resolution. More bins would not change the method's nature, but
// its cost grows with their square.
const ENTROPY_BINS = 2048;

export function entropyRange(h: StreamingHistogram, bits: number, symmetric: boolean): QuantizationRange {
  if (symmetric) {
    const grid = withoutZeroSpike(coarsened(magnitudeGridCounts(h), ENTROPY_BINS));
    const divergence = new WindowDivergence(grid, 2 ** (bits - 1));
    const end = grid.first + grid.counts.length;
    const b = divergence.bestUpperEdge(0, end);
    const limit = Math.min(b * grid.width, grid.highest);
    return { min: -limit, max: limit };
  }
  const { max: limit } = entropyRange(h, bits, true);
  return { min: Math.max(-limit, Math.min(h.min, 0)), max: Math.min(limit, Math.max(h.max, 0)) };
}

/** The magnitude grid with the count of bin 0, [0, w), replaced by that of bin 1. */
function withoutZeroSpike(grid: GridCounts): GridCounts {
  if (grid.first !== 0 || grid.counts.length < 2) return grid;
  const counts = grid.counts.slice();
  counts[0] = counts[1];
  return { ...grid, counts };
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
