// calibrate: statistics of every float activation on the calibration inputs.
//
//   Before:  a float model
//   After:   the same model; artifact 'calibration' = { tensor -> histogram + min/max }
//
// Runs the model through ctx.services (runtime/ provides onnxruntime and the
// synthetic input generator). Nothing in the graph changes. When statistics
// are already present (a calibration cache file), it only checks that they
// cover the model's tensors.

import { UserError } from '../compiler/errors.ts';
import { requireServices, type Pass } from '../compiler/pass-manager/pass.ts';
import type { CalibrationCache } from '../runtime/calibration/calibration-cache.ts';
import { TensorStatistics } from '../runtime/calibration/tensor-statistics.ts';
import { CALIBRATION_ARTIFACT, forgetComputedRanges } from './quantize/activation-ranges.ts';
import { floatActivations } from './quantize/float-activations.ts';

export const calibratePass: Pass = {
  name: 'calibrate',
  description: 'collect activation statistics on the calibration inputs (synthetic faces by default)',
  exact: true,
  async run(model, ctx) {
    const names = floatActivations(model);
    const cached = ctx.artifacts.get(CALIBRATION_ARTIFACT) as CalibrationCache | undefined;
    if (cached) {
      const missing = names.filter((n) => !cached.tensors.has(n));
      if (missing.length) throw new UserError(`the calibration cache has no statistics for ${missing.length} tensors of this model (e.g. '${missing[0]}'): it was made for another model or pipeline`);
      ctx.count('cached-tensors', names.length);
      return false;
    }
    const services = requireServices(ctx, 'calibrate');
    const stats = new Map(names.map((n) => [n, TensorStatistics.create()]));
    let samples = 0;
    await services.observe(model, names, (sample) => {
      for (const [name, t] of sample) stats.get(name)!.observe(t.data, t.subsampled ? { min: t.min!, max: t.max! } : undefined);
      samples++;
    }, { subsample: true });
    ctx.artifacts.set(CALIBRATION_ARTIFACT, { tensors: stats, samples });
    forgetComputedRanges(ctx);
    ctx.count('samples', samples);
    ctx.count('tensors', stats.size);
    return false;
  },
};
