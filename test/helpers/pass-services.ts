// Runs passes that need the runtime (calibrate, bias-correct ...) on a model
// with seeded gaussian inputs, the way compile wires them.

import type { Model } from '../../compiler/ir/model.ts';
import { memoryLogger } from '../../compiler/logger.ts';
import type { Pass } from '../../compiler/pass-manager/pass.ts';
import { PassReport, runPasses } from '../../compiler/pass-manager/pass-manager.ts';
import { createCalibrationGenerator } from '../../compiler/pipeline/compile.ts';
import { builtinRegistry } from '../../passes/index.ts';
import { QUANTIZATION_OPTION } from '../../passes/insert-qdq.ts';
import { RANGE_METHOD_OPTION } from '../../passes/quantize/activation-ranges.ts';
import type { QuantizationConfig } from '../../passes/quantize/quantization-config.ts';
import { PRESETS } from '../../runtime/generators/preprocessing.ts';
import { createModelServices } from '../../runtime/model-services.ts';

export interface ServicePipeline {
  reports: PassReport[];
  artifacts: Map<string, unknown>;
  logs: string[];
}

export async function runWithServices(model: Model, passes: (string | Pass)[], options: { quantization?: Partial<QuantizationConfig>; samples?: number; generator?: string; passOptions?: [string, unknown][]; artifacts?: Map<string, unknown> } = {}): Promise<ServicePipeline> {
  const settings = { generator: options.generator ?? 'gaussian', samples: options.samples ?? 16, seed: 'test', preprocessing: PRESETS.arcface };
  const calibration = await createCalibrationGenerator(model, settings);
  const evaluation = await createCalibrationGenerator(model, settings, undefined, 'test:evaluation');
  const services = createModelServices({ calibration: { generator: calibration, samples: settings.samples }, evaluation: { generator: evaluation, samples: settings.samples } });
  const registry = builtinRegistry();
  const artifacts = options.artifacts ?? new Map<string, unknown>();
  const logger = memoryLogger('info');
  const reports = await runPasses(model, passes.flatMap((p) => (typeof p === 'string' ? registry.resolve([p]) : [p])), {
    services,
    artifacts,
    logger,
    options: new Map<string, unknown>([[QUANTIZATION_OPTION, options.quantization ?? {}], [RANGE_METHOD_OPTION, { method: 'minmax' }], ...(options.passOptions ?? [])]),
  });
  return { reports, artifacts, logs: logger.lines };
}
