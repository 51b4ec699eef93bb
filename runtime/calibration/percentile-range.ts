// Clip a fixed fraction of the data: for affine ranges the lower and upper
// tails separately (each loses 100 - p percent), for symmetric ranges the
// upper tail of |x|.

import { distributionOf, magnitudeGridCounts, quantile, signedGridCounts } from './binned-distribution.ts';
import type { QuantizationRange } from './quantization-grid.ts';
import type { StreamingHistogram } from './streaming-histogram.ts';

export function percentileRange(h: StreamingHistogram, percentile: number, symmetric: boolean): QuantizationRange {
  const p = percentile / 100;
  if (symmetric) {
    const limit = quantile(distributionOf(magnitudeGridCounts(h)), p);
    return { min: -limit, max: limit };
  }
  const d = distributionOf(signedGridCounts(h));
  return { min: quantile(d, 1 - p), max: quantile(d, p) };
}
