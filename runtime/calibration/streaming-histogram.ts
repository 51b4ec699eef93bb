// A histogram of a tensor's values that streams in O(bins) memory and whose
// result depends only on the multiset of values fed, never on how they were
// batched, ordered or sharded.
//
// Why that is possible: bins are a window on a canonical grid anchored at 0,
// bin k = [k*w, (k+1)*w) with w = 2^e. The exponent e is a function of the
// global [min, max] alone (see `chooseExponent`), and it can only grow as the
// range grows. Doubling w merges pairs of bins exactly (each fine bin lies in
// one coarse bin, because the grids are nested), so re-binning loses nothing
// that the final grid would have kept. Whatever path the data took, the final
// grid is the one chosen by the final min/max and every value sits in the bin
// of that grid that contains it.
//
// Bin indices stay below 2^25 in magnitude (w is never finer than the float32
// spacing at the largest magnitude seen), so all index arithmetic is exact.
// Only `sum` and `sumOfSquares` are plain float accumulations whose last bits
// depend on the order of addition; nothing downstream needs them exact.

export const DEFAULT_MAX_BINS = 2048;

/** The smallest and largest finite value of one batch. */
export interface FiniteRange {
  min: number;
  max: number;
}

export interface StreamingHistogramJSON {
  maxBins: number;
  /** Bin width is 2^binExponent. */
  binExponent: number;
  /** Grid index of the first bin: it covers [firstBin * w, (firstBin + 1) * w). */
  firstBin: number;
  /** Bin counts, run-length coded: n >= 0 is one bin's count, -k is k empty bins. */
  counts: number[];
  /** Finite values seen (the sum of the bin counts). */
  count: number;
  min: number | null;
  max: number | null;
  sum: number;
  sumOfSquares: number;
  zeros: number;
  nan: number;
  positiveInfinity: number;
  negativeInfinity: number;
}

const F32_ULP_EXPONENT_MIN = -149;

export class StreamingHistogram {
  readonly maxBins: number;
  private exponent = F32_ULP_EXPONENT_MIN;
  private firstBin = 0;
  private binCount = 0;
  /** Capacity maxBins; only the first binCount entries are in the window. */
  private counts: Float64Array;
  private finiteCount = 0;
  private minimum = Infinity;
  private maximum = -Infinity;
  private total = 0;
  private totalOfSquares = 0;
  private zeroCount = 0;
  private nanCount = 0;
  private positiveInfinityCount = 0;
  private negativeInfinityCount = 0;

  constructor(maxBins = DEFAULT_MAX_BINS) {
    if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 1 << 24) {
      throw new Error(`StreamingHistogram: maxBins must be an integer in [2, 2^24], got ${maxBins}`);
    }
    this.maxBins = maxBins;
    this.counts = new Float64Array(maxBins);
  }

  /**
   * Adds a batch. Returns the batch's finite range (undefined when it held no
   * finite value) so that callers tracking per-batch extremes need not scan
   * the batch again.
   */
  add(values: Float32Array): FiniteRange | undefined {
    const batch = batchAccumulator.fill(0);
    batch[BATCH_MIN] = Infinity;
    batch[BATCH_MAX] = -Infinity;
    const n = values.length;
    let i = 0;
    while (i < n) {
      const stop = binWhileInWindow(values, i, this.counts, 2 ** -this.exponent, this.firstBin, this.binCount, batch);
      this.finiteCount += stop - i;
      i = stop < n ? this.admitOutsider(values, stop, batch) : stop;
    }
    this.total += batch[BATCH_SUM];
    this.totalOfSquares += batch[BATCH_SUM_OF_SQUARES];
    this.zeroCount += batch[BATCH_ZEROS];
    // + 0 turns -0 into 0, so that min/max cannot depend on the order in which 0 and -0 came.
    const min = batch[BATCH_MIN] + 0;
    const max = batch[BATCH_MAX] + 0;
    if (min > max) return undefined;
    this.minimum = Math.min(this.minimum, min);
    this.maximum = Math.max(this.maximum, max);
    return { min, max };
  }

  /**
   * Handles values[i], which fell outside the window: counts a non-finite
   * value and steps over it, or widens the window to hold every finite value
   * left in the batch (so this happens at most once per batch) and returns i
   * for the hot loop to bin it.
   */
  private admitOutsider(values: Float32Array, i: number, batch: Float64Array): number {
    const x = values[i];
    if (x !== x) {
      this.nanCount++;
      return i + 1;
    }
    if (x === Infinity) {
      this.positiveInfinityCount++;
      return i + 1;
    }
    if (x === -Infinity) {
      this.negativeInfinityCount++;
      return i + 1;
    }
    let lo = Math.min(x, this.minimum, batch[BATCH_MIN]);
    let hi = Math.max(x, this.maximum, batch[BATCH_MAX]);
    for (let j = i + 1; j < values.length; j++) {
      const v = values[j];
      if (v < lo && v !== -Infinity) lo = v;
      if (v > hi && v !== Infinity) hi = v;
    }
    this.regrid(lo, hi, []);
    return i;
  }

  /** Folds another histogram (of the same maxBins) into this one. */
  merge(other: StreamingHistogram): this {
    if (other.maxBins !== this.maxBins) {
      throw new Error(`StreamingHistogram.merge: maxBins differ (${this.maxBins} vs ${other.maxBins})`);
    }
    if (other.binCount > 0) {
      this.regrid(Math.min(this.minimum, other.minimum), Math.max(this.maximum, other.maximum), [other]);
      this.minimum = Math.min(this.minimum, other.minimum);
      this.maximum = Math.max(this.maximum, other.maximum);
    }
    this.finiteCount += other.finiteCount;
    this.total += other.total;
    this.totalOfSquares += other.totalOfSquares;
    this.zeroCount += other.zeroCount;
    this.nanCount += other.nanCount;
    this.positiveInfinityCount += other.positiveInfinityCount;
    this.negativeInfinityCount += other.negativeInfinityCount;
    return this;
  }

  /**
   * Moves to the canonical grid for [lo, hi], re-binning this histogram's
   * counts and adding those of `sources` (whose grids are at most as coarse,
   * since the exponent only grows with the range).
   */
  private regrid(lo: number, hi: number, sources: StreamingHistogram[]): void {
    const exponent = chooseExponent(lo, hi, this.maxBins);
    const inverseWidth = 2 ** -exponent;
    const firstBin = Math.floor(lo * inverseWidth) + 0;
    const binCount = Math.floor(hi * inverseWidth) - firstBin + 1;
    const counts = new Float64Array(this.maxBins);
    for (const source of [this, ...sources]) {
      const ratio = 2 ** (exponent - source.exponent);
      for (let j = 0; j < source.binCount; j++) {
        counts[Math.floor((source.firstBin + j) / ratio) - firstBin] += source.counts[j];
      }
    }
    this.exponent = exponent;
    this.firstBin = firstBin;
    this.binCount = binCount;
    this.counts = counts;
  }

  /** Finite values seen. */
  get count(): number {
    return this.finiteCount;
  }
  /** Smallest finite value seen (Infinity when none). */
  get min(): number {
    return this.minimum;
  }
  /** Largest finite value seen (-Infinity when none). */
  get max(): number {
    return this.maximum;
  }
  get sum(): number {
    return this.total;
  }
  get sumOfSquares(): number {
    return this.totalOfSquares;
  }
  get mean(): number {
    return this.total / this.finiteCount;
  }
  /** Population variance of the finite values. */
  get variance(): number {
    const mean = this.mean;
    return Math.max(0, this.totalOfSquares / this.finiteCount - mean * mean);
  }
  get zeros(): number {
    return this.zeroCount;
  }
  get nan(): number {
    return this.nanCount;
  }
  get positiveInfinity(): number {
    return this.positiveInfinityCount;
  }
  get negativeInfinity(): number {
    return this.negativeInfinityCount;
  }
  /** Bin width, a power of two. */
  get binWidth(): number {
    return 2 ** this.exponent;
  }
  get binExponent(): number {
    return this.exponent;
  }
  /** Grid index of the first bin; bin j covers [(firstBinIndex + j) * binWidth, ... + binWidth). */
  get firstBinIndex(): number {
    return this.firstBin;
  }
  get numberOfBins(): number {
    return this.binCount;
  }
  /** numberOfBins + 1 edges; exact (integer times a power of two). */
  binEdges(): Float64Array {
    const edges = new Float64Array(this.binCount + 1);
    const width = this.binWidth;
    for (let j = 0; j <= this.binCount; j++) edges[j] = (this.firstBin + j) * width;
    return edges;
  }
  binCounts(): Float64Array {
    return this.counts.slice(0, this.binCount);
  }

  toJSON(): StreamingHistogramJSON {
    const empty = this.binCount === 0;
    return {
      maxBins: this.maxBins,
      binExponent: this.exponent,
      firstBin: this.firstBin,
      counts: runLengthEncode(this.counts.subarray(0, this.binCount)),
      count: this.finiteCount,
      min: empty ? null : this.minimum,
      max: empty ? null : this.maximum,
      sum: this.total,
      sumOfSquares: this.totalOfSquares,
      zeros: this.zeroCount,
      nan: this.nanCount,
      positiveInfinity: this.positiveInfinityCount,
      negativeInfinity: this.negativeInfinityCount,
    };
  }

  /**
   * Rebuilds a histogram, checking that the grid is the canonical one for
   * its min/max (anything else would break exact merging). Errors name the
   * offending field relative to `path`.
   */
  static fromJSON(json: StreamingHistogramJSON, path = 'histogram'): StreamingHistogram {
    const fail = (field: string, why: string): never => {
      throw new Error(`${path}.${field}: ${why}`);
    };
    const h = new StreamingHistogram(json.maxBins);
    const counts = runLengthDecode(json.counts, json.maxBins, (why) => fail('counts', why));
    if (json.count === 0) {
      if (counts.length !== 0 || json.min !== null || json.max !== null) {
        fail('count', 'is 0 but bins or min/max are present');
      }
    } else {
      const { min, max } = json;
      if (min === null || max === null || !isFloat32(min) || !isFloat32(max) || min > max) {
        fail('min', 'min and max must be float32 values with min <= max when count > 0');
      }
      const lo = min as number;
      const hi = max as number;
      const exponent = chooseExponent(lo, hi, json.maxBins);
      if (json.binExponent !== exponent) fail('binExponent', `is ${json.binExponent}, the grid for [${lo}, ${hi}] has ${exponent}`);
      const firstBin = Math.floor(lo * 2 ** -exponent) + 0;
      const binCount = Math.floor(hi * 2 ** -exponent) - firstBin + 1;
      if (json.firstBin !== firstBin) fail('firstBin', `is ${json.firstBin}, expected ${firstBin}`);
      if (counts.length !== binCount) fail('counts', `holds ${counts.length} bins, expected ${binCount}`);
      if (counts[0] === 0 || counts[binCount - 1] === 0) fail('counts', 'the bins holding min and max cannot be empty');
      let sum = 0;
      for (const c of counts) sum += c;
      if (sum !== json.count) fail('count', `is ${json.count} but the bins hold ${sum}`);
      h.exponent = exponent;
      h.firstBin = firstBin;
      h.binCount = binCount;
      h.counts.set(counts);
      h.minimum = lo;
      h.maximum = hi;
    }
    if (json.zeros > json.count) fail('zeros', 'exceeds count');
    h.finiteCount = json.count;
    h.total = json.sum;
    h.totalOfSquares = json.sumOfSquares;
    h.zeroCount = json.zeros;
    h.nanCount = json.nan;
    h.positiveInfinityCount = json.positiveInfinity;
    h.negativeInfinityCount = json.negativeInfinity;
    return h;
  }
}

const BATCH_SUM = 0;
const BATCH_SUM_OF_SQUARES = 1;
const BATCH_ZEROS = 2;
const BATCH_MIN = 3;
const BATCH_MAX = 4;
/** Per-batch totals, reused so that `add` allocates nothing per batch beyond its result. */
const batchAccumulator = new Float64Array(5);

/**
 * The hot loop: bins values from `start` on while they fall inside the window
 * and returns the index of the first that does not (NaN and +-Inf included,
 * the window test is false for them). A free function with plain arguments
 * because V8 optimises that far better than a loop over `this` fields.
 */
function binWhileInWindow(
  values: Float32Array,
  start: number,
  counts: Float64Array,
  inverseWidth: number,
  firstBin: number,
  binCount: number,
  batch: Float64Array,
): number {
  let sum = 0;
  let sumOfSquares = 0;
  let zeros = 0;
  let lo = batch[BATCH_MIN];
  let hi = batch[BATCH_MAX];
  const n = values.length;
  let i = start;
  for (; i < n; i++) {
    const x = values[i];
    const bin = Math.floor(x * inverseWidth) - firstBin;
    if (!(bin >= 0 && bin < binCount)) break;
    counts[bin]++;
    sum += x;
    sumOfSquares += x * x;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
    if (x === 0) zeros++;
  }
  batch[BATCH_SUM] += sum;
  batch[BATCH_SUM_OF_SQUARES] += sumOfSquares;
  batch[BATCH_ZEROS] += zeros;
  batch[BATCH_MIN] = lo;
  batch[BATCH_MAX] = hi;
  return i;
}

/**
 * The canonical bin exponent for data spanning [lo, hi]: the smallest e such
 * that the bins of width 2^e touched by [lo, hi] number at most maxBins, but
 * never finer than the float32 spacing at the largest magnitude (finer bins
 * could not all be hit, and it keeps bin indices below 2^25). Non-decreasing
 * as [lo, hi] widens, which is what lets a histogram only ever coarsen.
 */
export function chooseExponent(lo: number, hi: number, maxBins: number): number {
  const fits = (e: number) => Math.floor(hi * 2 ** -e) - Math.floor(lo * 2 ** -e) + 1 <= maxBins;
  const floor = float32UlpExponent(Math.max(Math.abs(lo), Math.abs(hi)));
  // The bins touched number more than (hi - lo) / w, so fitting needs w > (hi - lo) / maxBins.
  const estimate = hi > lo ? Math.floor(Math.log2((hi - lo) / maxBins)) - 1 : floor;
  let e = Math.max(floor, estimate);
  while (!fits(e)) e++;
  return e;
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** log2 of the spacing of float32 values around `magnitude` (a float32). */
function float32UlpExponent(magnitude: number): number {
  f32[0] = magnitude;
  const biased = (f32Bits[0] >>> 23) & 0xff;
  return biased === 0 ? F32_ULP_EXPONENT_MIN : biased - 127 - 23;
}

function isFloat32(x: number): boolean {
  return Number.isFinite(x) && Math.fround(x) === x;
}

function runLengthEncode(counts: Float64Array): number[] {
  const out: number[] = [];
  let zeros = 0;
  for (const c of counts) {
    if (c === 0) {
      zeros++;
      continue;
    }
    if (zeros > 0) out.push(-zeros);
    zeros = 0;
    out.push(c);
  }
  if (zeros > 0) out.push(-zeros);
  return out;
}

function runLengthDecode(encoded: number[], maxBins: number, fail: (why: string) => never): number[] {
  const out: number[] = [];
  for (const v of encoded) {
    if (!Number.isSafeInteger(v)) fail(`${v} is not an integer count or run`);
    if (v >= 0) out.push(v);
    else for (let k = 0; k < -v && out.length <= maxBins; k++) out.push(0);
    if (out.length > maxBins) fail(`holds more than maxBins (${maxBins}) bins`);
  }
  return out;
}
