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

/** Ranges already computed from statistics, by `${tensor}@${bits}${symmetric}`: passes that re-quantize clones ask many times. */
const MEMO_ARTIFACT = 'activation-range-memo';

/** Statistics changed (a new calibration): ranges computed from the old ones are stale. */
export function forgetComputedRanges(ctx: PassContext): void {
  ctx.artifacts.delete(MEMO_ARTIFACT);
}

/** The memo of computed ranges (created on first use), shared by clones of the context. */
export function rangeMemo(ctx: PassContext): Map<string, QuantizationRange> {
  let memo = ctx.artifacts.get(MEMO_ARTIFACT) as Map<string, QuantizationRange> | undefined;
  if (!memo) ctx.artifacts.set(MEMO_ARTIFACT, (memo = new Map()));
  return memo;
}

export function activationRange(ctx: PassContext, tensor: string, bits: number, symmetric: boolean): QuantizationRange | null {
  const fixed = (ctx.artifacts.get(RANGES_ARTIFACT) as Map<string, QuantizationRange> | undefined)?.get(tensor);
  if (fixed) return fixed;
  const stats = (ctx.artifacts.get(CALIBRATION_ARTIFACT) as CalibrationCache | undefined)?.tensors.get(tensor);
  if (!stats) return null;
  const memo = rangeMemo(ctx);
  const key = `${tensor}@${bits}${symmetric ? 's' : 'a'}`;
  let range = memo.get(key);
  if (!range) {
    const option = (ctx.options.get(RANGE_METHOD_OPTION) as RangeMethodOption | undefined) ?? { method: 'minmax' };
    range = computeRange(option.method, stats, { bits, symmetric, percentile: option.percentile ?? DEFAULT_PERCENTILE });
    memo.set(key, range);
  }
  return range;
}
