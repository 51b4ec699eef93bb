// From a tensor's calibration statistics to the float range its quantized
// form will cover. Every method's raw answer goes through `validRange`, which
// enforces what ONNX QuantizeLinear needs whatever the method said: 0 inside
// the range (the zero point must represent 0 exactly; all-positive data thus
// gets an affine range starting at 0), a symmetric range when asked for, and a
// scale that is a positive, normal float32.

import { entropyRange } from './entropy-range.ts';
import { mseRange } from './mse-range.ts';
import { percentileRange } from './percentile-range.ts';
import { checkBits, stepsAcrossRange, type QuantizationRange } from './quantization-grid.ts';
import type { RunningMinMax } from './running-minmax.ts';
import type { StreamingHistogram } from './streaming-histogram.ts';

export type { QuantizationRange } from './quantization-grid.ts';

export const RANGE_METHODS = ['minmax', 'moving-average', 'percentile', 'entropy', 'mse'] as const;
export type RangeMethod = (typeof RANGE_METHODS)[number];

export const DEFAULT_PERCENTILE = 99.99;

export interface RangeOptions {
  bits: number;
  symmetric: boolean;
  /** For 'percentile': the percentage of values kept, in (0, 100]. */
  percentile?: number;
}

/** What the methods read; TensorStatistics provides it. */
export interface RangeStatistics {
  readonly histogram: StreamingHistogram;
  readonly minmax: RunningMinMax;
}

const FLOAT32_MIN_NORMAL = 2 ** -126;

export function computeRange(method: RangeMethod, stats: RangeStatistics, options: RangeOptions): QuantizationRange {
  const { bits, symmetric } = options;
  checkBits(bits);
  const h = stats.histogram;
  if (h.count === 0) throw new Error(`computeRange(${method}): no finite value was observed, there is nothing to calibrate from`);
  switch (method) {
    case 'minmax':
      // The running extremes are exact even when the histogram saw a subsample.
      return validRange(stats.minmax.batches ? { min: stats.minmax.min, max: stats.minmax.max } : { min: h.min, max: h.max }, bits, symmetric);
    case 'moving-average':
      if (stats.minmax.batches === 0) throw new Error('computeRange(moving-average): no batch was observed');
      return validRange({ min: stats.minmax.movingMin, max: stats.minmax.movingMax }, bits, symmetric);
    case 'percentile': {
      const percentile = options.percentile ?? DEFAULT_PERCENTILE;
      if (!(percentile > 0 && percentile <= 100)) throw new Error(`computeRange(percentile): percentile must be in (0, 100], got ${percentile}`);
      return validRange(percentileRange(h, percentile, symmetric), bits, symmetric);
    }
    case 'entropy':
      return validRange(entropyRange(h, bits, symmetric), bits, symmetric);
    case 'mse':
      return validRange(mseRange(h, bits, symmetric), bits, symmetric);
    default:
      throw new Error(`computeRange: unknown method '${method as string}', expected one of ${RANGE_METHODS.join(', ')}`);
  }
}

export function validRange(raw: QuantizationRange, bits: number, symmetric: boolean): QuantizationRange {
  let min = Math.min(raw.min, 0);
  let max = Math.max(raw.max, 0);
  if (symmetric) {
    max = Math.max(-min, max);
    min = -max;
  }
  const steps = stepsAcrossRange(bits, symmetric);
  const width = max - min;
  if (width === 0) {
    // Nothing but zeros: any scale represents them; take 1, as ORT does.
    return symmetric ? { min: -steps / 2, max: steps / 2 } : { min: 0, max: steps };
  }
  if (width / steps < FLOAT32_MIN_NORMAL) {
    // A subnormal scale has no finite float32 reciprocal; widen in proportion.
    const factor = (steps * FLOAT32_MIN_NORMAL) / width;
    min *= factor;
    max *= factor;
  }
  return { min: min + 0, max }; // + 0: a -0 bound would print as 0 but compare unequal under Object.is
}
