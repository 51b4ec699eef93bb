// Where activation ranges come from: a fixed table (tests, hand-tuned ranges,
// search-ranges' choices) or the statistics the calibrate pass collected, turned
// into a range at the bit width each tensor is quantized to.

import type { PassContext } from '../../compiler/pass-manager/pass.ts';
import type { CalibrationCache } from '../../runtime/calibration/calibration-cache.ts';
import { DEFAULT_PERCENTILE, QuantizationRange, RangeMethod, computeRange } from '../../runtime/calibration/range-methods.ts';

/** Map<tensor name, {min, max}>: wins over statistics. */
export const RANGES_ARTIFACT = 'activation-ranges';
/** CalibrationCache from the calibrate pass or a cache file. */
export const CALIBRATION_ARTIFACT = 'calibration';
/** Option: { method, percentile } for turning statistics into ranges. */
export const RANGE_METHOD_OPTION = 'range-method';

export interface RangeMethodOption {
  method: RangeMethod;
  percentile?: number;
}

export function activationRange(ctx: PassContext, tensor: string, bits: number, symmetric: boolean): QuantizationRange | null {
  const fixed = (ctx.artifacts.get(RANGES_ARTIFACT) as Map<string, QuantizationRange> | undefined)?.get(tensor);
  if (fixed) return fixed;
  const stats = (ctx.artifacts.get(CALIBRATION_ARTIFACT) as CalibrationCache | undefined)?.tensors.get(tensor);
  if (!stats) return null;
  const option = (ctx.options.get(RANGE_METHOD_OPTION) as RangeMethodOption | undefined) ?? { method: 'minmax' };
  return computeRange(option.method, stats, { bits, symmetric, percentile: option.percentile ?? DEFAULT_PERCENTILE });
}
