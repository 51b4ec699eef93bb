// Everything the calibration runner keeps about one tensor: the histogram
// (exact, order-independent) and the per-batch extremes (for the moving
// average). One `observe` call is one batch.

import { RunningMinMax, type RunningMinMaxJSON } from './running-minmax.ts';
import { StreamingHistogram, type StreamingHistogramJSON } from './streaming-histogram.ts';

export interface TensorStatisticsOptions {
  maxBins?: number;
  momentum?: number;
}

export interface TensorStatisticsJSON {
  histogram: StreamingHistogramJSON;
  minmax: RunningMinMaxJSON;
}

export class TensorStatistics {
  constructor(
    readonly histogram: StreamingHistogram = new StreamingHistogram(),
    readonly minmax: RunningMinMax = new RunningMinMax(),
  ) {}

  static create(options: TensorStatisticsOptions = {}): TensorStatistics {
    return new TensorStatistics(new StreamingHistogram(options.maxBins), new RunningMinMax(options.momentum));
  }

  /**
   * `extremes`, when given, are the exact min and max of a tensor of which
   * `values` is only a subsample: min/max stay exact, the histogram (for the
   * percentile, entropy and mse methods) is built from the subsample.
   */
  observe(values: Float32Array, extremes?: { min: number; max: number }): void {
    const batch = this.histogram.add(values);
    const range = extremes ?? batch;
    if (range) this.minmax.observeBatch(range.min, range.max);
  }

  /** Folds other in; for the moving average, other's batches count as coming after this one's. */
  merge(other: TensorStatistics): this {
    this.histogram.merge(other.histogram);
    this.minmax.merge(other.minmax);
    return this;
  }

  clone(): TensorStatistics {
    return TensorStatistics.fromJSON(this.toJSON());
  }

  toJSON(): TensorStatisticsJSON {
    return { histogram: this.histogram.toJSON(), minmax: this.minmax.toJSON() };
  }

  static fromJSON(json: TensorStatisticsJSON, path = 'tensor'): TensorStatistics {
    return new TensorStatistics(
      StreamingHistogram.fromJSON(json.histogram, `${path}.histogram`),
      RunningMinMax.fromJSON(json.minmax, `${path}.minmax`),
    );
  }
}
