// How far a quantized model's raw outputs drift from the float reference.
// Outputs may hold a batch of vectors back to back; `vectorLength` says where
// one vector ends. All sums run in float64 so that long streams of float32
// values do not lose the small errors we are trying to measure.
//
// NaN is never skipped: it propagates into every metric it touches (IEEE
// arithmetic and Math.min/Math.max do that for us) and is also counted, so a
// NaN in a summary can be traced to reference or quantized outputs.

export interface OutputSummary {
  vectors: number;
  elements: number;
  meanCosine: number;
  minCosine: number;
  maxAbsError: number;
  meanAbsError: number;
  /** 10*log10(signal energy / error energy); +Infinity when the outputs are identical. */
  sqnrDb: number;
  nanInReference: number;
  nanInQuantized: number;
}

/** Cosine of two vectors; 1 when both are zero (same output), 0 when only one is. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameLength(a, b);
  let dot = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 && bb === 0) return 1;
  if (aa === 0 || bb === 0) return 0;
  // Rounding can push |cos| a hair past 1; clamping keeps acos-style consumers safe.
  return Math.max(-1, Math.min(1, dot / Math.sqrt(aa * bb)));
}

/** Cosine of each pair of corresponding rows. */
export function rowCosines(reference: Float32Array, quantized: Float32Array, vectorLength: number): Float64Array {
  const rows = rowCount(reference, quantized, vectorLength);
  const cosines = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * vectorLength, end = start + vectorLength;
    cosines[r] = cosineSimilarity(reference.subarray(start, end), quantized.subarray(start, end));
  }
  return cosines;
}

export function maxAbsError(reference: Float32Array, quantized: Float32Array): number {
  assertSameLength(reference, quantized);
  let max = 0;
  for (let i = 0; i < reference.length; i++) max = Math.max(max, Math.abs(reference[i] - quantized[i]));
  return max;
}

export function meanAbsError(reference: Float32Array, quantized: Float32Array): number {
  assertSameLength(reference, quantized);
  let sum = 0;
  for (let i = 0; i < reference.length; i++) sum += Math.abs(reference[i] - quantized[i]);
  return sum / reference.length;
}

export function sqnrDb(reference: Float32Array, quantized: Float32Array): number {
  assertSameLength(reference, quantized);
  let signal = 0, noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const error = reference[i] - quantized[i];
    signal += reference[i] * reference[i];
    noise += error * error;
  }
  return energyRatioDb(signal, noise);
}

/** Summary of one batch; the one-shot form of OutputComparison. */
export function compareOutputs(reference: Float32Array, quantized: Float32Array, vectorLength: number): OutputSummary {
  return new OutputComparison(vectorLength).add(reference, quantized).summary();
}

/**
 * Streaming comparison: feed it batch after batch; it keeps only running sums,
 * so memory stays constant however many samples a calibration set has.
 */
export class OutputComparison {
  private vectors = 0;
  private elements = 0;
  private cosineSum = 0;
  private minCosine = Infinity;
  private maxAbsError = 0;
  private absErrorSum = 0;
  private signalEnergy = 0;
  private noiseEnergy = 0;
  private nanInReference = 0;
  private nanInQuantized = 0;

  constructor(readonly vectorLength: number) {
    if (!Number.isInteger(vectorLength) || vectorLength <= 0) {
      throw new RangeError(`vectorLength must be a positive integer, got ${vectorLength}`);
    }
  }

  add(reference: Float32Array, quantized: Float32Array): this {
    for (const cosine of rowCosines(reference, quantized, this.vectorLength)) {
      this.cosineSum += cosine;
      this.minCosine = Math.min(this.minCosine, cosine);
    }
    for (let i = 0; i < reference.length; i++) {
      const ref = reference[i], q = quantized[i], error = ref - q;
      if (Number.isNaN(ref)) this.nanInReference++;
      if (Number.isNaN(q)) this.nanInQuantized++;
      this.maxAbsError = Math.max(this.maxAbsError, Math.abs(error));
      this.absErrorSum += Math.abs(error);
      this.signalEnergy += ref * ref;
      this.noiseEnergy += error * error;
    }
    this.vectors += reference.length / this.vectorLength;
    this.elements += reference.length;
    return this;
  }

  /** Folds another accumulator in, e.g. one filled by a parallel worker. */
  merge(other: OutputComparison): this {
    if (other.vectorLength !== this.vectorLength) {
      throw new RangeError(`cannot merge vectorLength ${other.vectorLength} into ${this.vectorLength}`);
    }
    this.vectors += other.vectors;
    this.elements += other.elements;
    this.cosineSum += other.cosineSum;
    this.minCosine = Math.min(this.minCosine, other.minCosine);
    this.maxAbsError = Math.max(this.maxAbsError, other.maxAbsError);
    this.absErrorSum += other.absErrorSum;
    this.signalEnergy += other.signalEnergy;
    this.noiseEnergy += other.noiseEnergy;
    this.nanInReference += other.nanInReference;
    this.nanInQuantized += other.nanInQuantized;
    return this;
  }

  /** With nothing added, every metric is NaN and `vectors` is 0: there is nothing to report. */
  summary(): OutputSummary {
    const empty = this.vectors === 0;
    return {
      vectors: this.vectors,
      elements: this.elements,
      meanCosine: empty ? NaN : this.cosineSum / this.vectors,
      minCosine: empty ? NaN : this.minCosine,
      maxAbsError: empty ? NaN : this.maxAbsError,
      meanAbsError: empty ? NaN : this.absErrorSum / this.elements,
      sqnrDb: empty ? NaN : energyRatioDb(this.signalEnergy, this.noiseEnergy),
      nanInReference: this.nanInReference,
      nanInQuantized: this.nanInQuantized,
    };
  }
}

function energyRatioDb(signal: number, noise: number): number {
  // Identical outputs have no noise: infinite SQNR even for an all-zero signal.
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

function rowCount(reference: Float32Array, quantized: Float32Array, vectorLength: number): number {
  assertSameLength(reference, quantized);
  if (reference.length % vectorLength !== 0) {
    throw new RangeError(`output length ${reference.length} is not a multiple of vectorLength ${vectorLength}`);
  }
  return reference.length / vectorLength;
}

function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
}
