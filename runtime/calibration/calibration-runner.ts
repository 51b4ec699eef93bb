// Calibration: run the float model on generated inputs and keep streaming
// statistics (histogram + running min/max) of every float activation. Memory
// is bounded by the statistics (O(tensors x bins)) plus one batch of watched
// tensors (at most the runner's memory budget), never by the sample count.

import type { Model } from '../../compiler/ir/model.ts';
import { floatActivations } from '../../passes/quantize/float-activations.ts';
import { modelInput, ModelInput, RunPlan, watchTensors } from '../model-runner.ts';
import { TensorStatistics } from './tensor-statistics.ts';

export interface CalibrationResult {
  tensors: Map<string, TensorStatistics>;
  samples: number;
  ms: number;
}

export async function calibrate(model: Model, plan: RunPlan, options: { tensors?: string[]; input?: ModelInput } = {}): Promise<CalibrationResult> {
  const t0 = performance.now();
  const names = options.tensors ?? floatActivations(model);
  const stats = new Map(names.map((n) => [n, TensorStatistics.create()]));
  await watchTensors(model, names, { subsample: true, ...plan }, (sample) => {
    for (const [name, t] of sample) stats.get(name)!.observe(t.data, t.subsampled ? { min: t.min!, max: t.max! } : undefined);
  }, options.input ?? modelInput(model));
  return { tensors: stats, samples: plan.samples, ms: performance.now() - t0 };
}
