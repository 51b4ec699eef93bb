// The compile pipeline: cleanup -> fold-batchnorm -> calibrate -> insert-qdq,
// with error-compensating passes and plugins where they belong. This is where
// the compiler meets the runtime: it builds the input generator and the
// onnxruntime services the calibrating passes ask for.

import type { Model } from '../ir/model.ts';
import { loadModelFromBuffer } from '../onnx/load.ts';
import { serializeModel } from '../onnx/save.ts';
import type { Logger } from '../logger.ts';
import { createLogger } from '../logger.ts';
import { runPasses, PassReport } from '../pass-manager/pass-manager.ts';
import type { Pass } from '../pass-manager/pass.ts';
import { builtinRegistry, CLEANUP_PIPELINE } from '../../passes/index.ts';
import { QUANTIZATION_OPTION, QUANTIZATION_SUMMARY_ARTIFACT, QuantizationSummary } from '../../passes/insert-qdq.ts';
import { CALIBRATION_ARTIFACT, RANGE_METHOD_OPTION, RangeMethodOption } from '../../passes/quantize/activation-ranges.ts';
import type { QuantizationConfig } from '../../passes/quantize/quantization-config.ts';
import type { CalibrationCache } from '../../runtime/calibration/calibration-cache.ts';
import { createInputGenerator, InputGenerator } from '../../runtime/generators/input-generator.ts';
import type { OnnxGeneratorOptions } from '../../runtime/generators/onnx-generator-input.ts';
import { imageShapeOf, Preprocessing, PRESETS } from '../../runtime/generators/preprocessing.ts';
import { createModelServices } from '../../runtime/model-services.ts';
import { modelInput } from '../../runtime/model-runner.ts';
import { resolvePipeline } from '../pass-manager/plugins.ts';
import { numericVerifier } from '../../runtime/evaluation/numeric-verifier.ts';

/** Error-compensating passes, in the order they must run around calibration. */
export const BEFORE_CALIBRATION = ['equalize'];
export const AFTER_CALIBRATION = ['sensitivity', 'mixed-precision', 'search-ranges', 'round-weights', 'bias-correct'];

export interface CalibrationSettings {
  /** faces | gaussian | uniform | generator:G.onnx | images:DIR */
  generator: string;
  samples: number;
  seed: number | string;
  preprocessing: Preprocessing;
  /** Sizes of symbolic input dimensions, by name. */
  dims?: Record<string, number>;
  onnxGenerator?: OnnxGeneratorOptions;
  /** Statistics from a calibration cache: no calibration run. */
  cache?: CalibrationCache;
}

export interface CompileOptions {
  quantization: Partial<QuantizationConfig>;
  calibration: CalibrationSettings;
  range: RangeMethodOption;
  /** Error-compensating passes to add (equalize, bias-correct, round-weights, search-ranges). */
  optimize?: string[];
  plugins?: string[];
  printIrAfter?: Set<string>;
  verify?: boolean;
  logger?: Logger;
  onProgress?: (label: string, done: number, total: number) => void;
  /** Extra options for passes (e.g. 'mixed-precision'). */
  passOptions?: Map<string, unknown>;
}

export interface Stage {
  name: string;
  ms: number;
}

export interface CompileResult {
  reports: PassReport[];
  summary: QuantizationSummary;
  stages: Stage[];
  calibration: { samples: number; generator: Record<string, unknown> };
}

/** The pass names of the compile pipeline for the requested optimizations. */
export function compilePipeline(optimize: string[] = []): string[] {
  const before = BEFORE_CALIBRATION.filter((p) => optimize.includes(p));
  const after = AFTER_CALIBRATION.filter((p) => optimize.includes(p));
  const unknown = optimize.filter((p) => !BEFORE_CALIBRATION.includes(p) && !AFTER_CALIBRATION.includes(p));
  return [...CLEANUP_PIPELINE, ...before, 'calibrate', ...after, ...unknown, 'insert-qdq'];
}

export async function createCalibrationGenerator(model: Model, settings: CalibrationSettings, logger?: Logger, seedOverride?: number | string, generatorOverride?: string): Promise<InputGenerator> {
  const input = modelInput(model, settings.dims);
  const dims = [1, ...input.sampleDims];
  const pre = settings.preprocessing ?? PRESETS.arcface;
  const spec = generatorOverride ?? settings.generator;
  const needsImage = !['gaussian'].includes(spec);
  return createInputGenerator(spec, {
    seed: seedOverride ?? settings.seed,
    sampleDims: input.sampleDims,
    image: needsImage || dims.length === 4 ? safeImageShape(dims, pre, input.name, needsImage) : undefined,
    onnx: settings.onnxGenerator,
    logger,
  });
}

function safeImageShape(dims: number[], pre: Preprocessing, name: string, required: boolean) {
  try {
    return { shape: imageShapeOf(dims, pre, name), preprocessing: pre };
  } catch (e) {
    if (required) throw e;
    return undefined;
  }
}

export async function compileModel(model: Model, options: CompileOptions): Promise<CompileResult> {
  const logger = options.logger ?? createLogger('warn');
  const registry = builtinRegistry();
  const names = compilePipeline(options.optimize);
  const passes: Pass[] = await resolvePipeline(registry, names, options.plugins);
  const artifacts = new Map<string, unknown>();
  const cal = options.calibration;
  if (cal.cache) artifacts.set(CALIBRATION_ARTIFACT, cal.cache);
  const passOptions = new Map<string, unknown>(options.passOptions ?? []);
  passOptions.set(QUANTIZATION_OPTION, options.quantization);
  passOptions.set(RANGE_METHOD_OPTION, options.range);
  const verifier = options.verify ? await numericVerifier(model, logger, { dims: cal.dims }) : undefined;
  // Generators are made before any pass runs, so a bad spec fails before any work.
  const generator = cal.cache ? undefined : await createCalibrationGenerator(model, cal, logger);
  const evaluation = await createCalibrationGenerator(model, cal, logger, `${cal.seed}:evaluation`);
  const services = createModelServices({
    calibration: { generator: generator ?? evaluation, samples: cal.samples },
    evaluation: { generator: evaluation, samples: Math.min(cal.samples, 64) },
    dims: cal.dims,
    onProgress: options.onProgress,
  });
  try {
    const reports = await runPasses(model, passes, {
      logger,
      options: passOptions,
      artifacts,
      services,
      printIrAfter: options.printIrAfter,
      afterPass: verifier?.afterPass,
    });
    const stages = stagesOf(reports);
    const summary = artifacts.get(QUANTIZATION_SUMMARY_ARTIFACT) as QuantizationSummary;
    const calibration = artifacts.get(CALIBRATION_ARTIFACT) as { samples: number } | CalibrationCache | undefined;
    return {
      reports,
      summary,
      stages,
      calibration: { samples: calibration?.samples ?? 0, generator: cal.cache ? cal.cache.generator : generator!.description },
    };
  } finally {
    await generator?.close?.();
    await evaluation.close?.();
  }
}

/** Per-stage time: cleanup passes together, then each later pass. */
function stagesOf(reports: PassReport[]): Stage[] {
  const stages: Stage[] = [];
  const cleanup = new Set(CLEANUP_PIPELINE);
  for (const r of reports) {
    const name = cleanup.has(r.name) ? 'cleanup' : r.name;
    const last = stages[stages.length - 1];
    if (last && last.name === name) last.ms += r.ms;
    else stages.push({ name, ms: r.ms });
  }
  return stages;
}

/**
 * A copy of a float model after the cleanup pipeline: what compile quantizes.
 * Per-layer comparisons need it: a folded BatchNorm leaves its producer's
 * output name on BN(conv), so the original model's tensor of that name holds
 * something else.
 */
export async function cleanedCopy(model: Model): Promise<Model> {
  const copy = loadModelFromBuffer(serializeModel(model));
  await runPasses(copy, builtinRegistry().resolve(CLEANUP_PIPELINE));
  return copy;
}
