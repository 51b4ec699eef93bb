// Per-batch extremes reduced two ways: the plain global min/max, and an
// exponential moving average of each batch's min and max (AIMET's and ORT's
// "moving average" MinMax: outlier batches pull the range only partly).
//
// ema_k = momentum * ema_(k-1) + (1 - momentum) * batch_k, seeded with the
// first batch (ema_1 = batch_1).
//
// Merge is defined as concatenation: a.merge(b) is the state reached by
// feeding a's batches and then b's. Because b's average was seeded with its
// own first batch f_b, ema_(a then b) = ema_b + momentum^(n_b) * (ema_a - f_b),
// so keeping f_b makes the merge exact up to rounding, and associative.
// It is order-dependent, as the moving average itself is; the plain min/max
// merges exactly and in any order.

export const DEFAULT_MOMENTUM = 0.9;

export interface RunningMinMaxJSON {
  momentum: number;
  batches: number;
  min: number | null;
  max: number | null;
  movingMin: number | null;
  movingMax: number | null;
  firstMin: number | null;
  firstMax: number | null;
}

export class RunningMinMax {
  readonly momentum: number;
  private batchCount = 0;
  private minimum = Infinity;
  private maximum = -Infinity;
  private averageMin = NaN;
  private averageMax = NaN;
  private firstMin = NaN;
  private firstMax = NaN;

  constructor(momentum = DEFAULT_MOMENTUM) {
    if (!(momentum >= 0 && momentum < 1)) throw new Error(`RunningMinMax: momentum must be in [0, 1), got ${momentum}`);
    this.momentum = momentum;
  }

  /** Records one batch given its extremes (skip batches with no finite value). */
  observeBatch(batchMin: number, batchMax: number): void {
    if (!(Number.isFinite(batchMin) && Number.isFinite(batchMax) && batchMin <= batchMax)) {
      throw new Error(`RunningMinMax: batch range [${batchMin}, ${batchMax}] is not a finite interval`);
    }
    // + 0 turns -0 into 0, which JSON could not round-trip.
    batchMin += 0;
    batchMax += 0;
    if (this.batchCount === 0) {
      this.firstMin = this.averageMin = batchMin;
      this.firstMax = this.averageMax = batchMax;
    } else {
      this.averageMin = this.momentum * this.averageMin + (1 - this.momentum) * batchMin;
      this.averageMax = this.momentum * this.averageMax + (1 - this.momentum) * batchMax;
    }
    this.batchCount++;
    this.minimum = Math.min(this.minimum, batchMin);
    this.maximum = Math.max(this.maximum, batchMax);
  }

  /** Records one batch of values; NaN and infinities are ignored. */
  observe(values: Float32Array): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (x < lo && x !== -Infinity) lo = x;
      if (x > hi && x !== Infinity) hi = x;
    }
    if (lo <= hi) this.observeBatch(lo, hi);
  }

  /** Appends other's batches after this one's (see the file comment). */
  merge(other: RunningMinMax): this {
    if (other.momentum !== this.momentum) {
      throw new Error(`RunningMinMax.merge: momentum differs (${this.momentum} vs ${other.momentum})`);
    }
    if (other.batchCount === 0) return this;
    if (this.batchCount === 0) {
      this.firstMin = other.firstMin;
      this.firstMax = other.firstMax;
      this.averageMin = other.averageMin;
      this.averageMax = other.averageMax;
    } else {
      const decay = this.momentum ** other.batchCount;
      this.averageMin = other.averageMin + decay * (this.averageMin - other.firstMin);
      this.averageMax = other.averageMax + decay * (this.averageMax - other.firstMax);
    }
    this.batchCount += other.batchCount;
    this.minimum = Math.min(this.minimum, other.minimum);
    this.maximum = Math.max(this.maximum, other.maximum);
    return this;
  }

  get batches(): number {
    return this.batchCount;
  }
  /** Global minimum (Infinity before the first batch). */
  get min(): number {
    return this.minimum;
  }
  /** Global maximum (-Infinity before the first batch). */
  get max(): number {
    return this.maximum;
  }
  /** Moving average of the batch minima (NaN before the first batch). */
  get movingMin(): number {
    return this.averageMin;
  }
  /** Moving average of the batch maxima (NaN before the first batch). */
  get movingMax(): number {
    return this.averageMax;
  }

  toJSON(): RunningMinMaxJSON {
    const seen = this.batchCount > 0;
    return {
      momentum: this.momentum,
      batches: this.batchCount,
      min: seen ? this.minimum : null,
      max: seen ? this.maximum : null,
      movingMin: seen ? this.averageMin : null,
      movingMax: seen ? this.averageMax : null,
      firstMin: seen ? this.firstMin : null,
      firstMax: seen ? this.firstMax : null,
    };
  }

  static fromJSON(json: RunningMinMaxJSON, path = 'minmax'): RunningMinMax {
    const r = new RunningMinMax(json.momentum);
    if (json.batches === 0) return r;
    const fields = ['min', 'max', 'movingMin', 'movingMax', 'firstMin', 'firstMax'] as const;
    for (const field of fields) {
      if (typeof json[field] !== 'number' || !Number.isFinite(json[field])) {
        throw new Error(`${path}.${field}: must be a finite number when batches > 0`);
      }
    }
    r.batchCount = json.batches;
    r.minimum = json.min as number;
    r.maximum = json.max as number;
    r.averageMin = json.movingMin as number;
    r.averageMax = json.movingMax as number;
    r.firstMin = json.firstMin as number;
    r.firstMax = json.firstMax as number;
    return r;
  }
}
