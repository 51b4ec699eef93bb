// Compiles a model the way `quantface compile` does and measures how close
// the quantized outputs stay to the float ones, for tests.

import type { Model } from '../../compiler/ir/model.ts';
import { loadModelFromBuffer } from '../../compiler/onnx/load.ts';
import { serializeModel } from '../../compiler/onnx/save.ts';
import { compileModel, CompileResult, createCalibrationGenerator } from '../../compiler/pipeline/compile.ts';
import type { QuantizationConfig } from '../../passes/quantize/quantization-config.ts';
import type { RangeMethod } from '../../runtime/calibration/range-methods.ts';
import { PRESETS } from '../../runtime/generators/preprocessing.ts';
import { modelInput } from '../../runtime/model-runner.ts';
import { createSession, run, ort, SessionSettings } from '../../runtime/session.ts';
import { OutputComparison, OutputSummary } from '../../runtime/evaluation/output-metrics.ts';

export interface QuantizeForTest {
  quantization?: Partial<QuantizationConfig>;
  generator?: string;
  samples?: number;
  method?: RangeMethod;
  optimize?: string[];
}

export async function quantize(model: Model, options: QuantizeForTest = {}): Promise<{ float: Uint8Array; quantized: Uint8Array; model: Model; result: CompileResult }> {
  const float = serializeModel(model);
  const copy = loadModelFromBuffer(float);
  const result = await compileModel(copy, {
    quantization: options.quantization ?? {},
    calibration: { generator: options.generator ?? 'gaussian', samples: options.samples ?? 16, seed: 'test', preprocessing: PRESETS.arcface },
    range: { method: options.method ?? 'minmax' },
    optimize: options.optimize,
  });
  return { float, quantized: serializeModel(copy), model: copy, result };
}

/** Output agreement of two models on `samples` inputs from a generator with a seed calibration never used. */
export async function agreement(float: Uint8Array, quantized: Uint8Array, options: { generator?: string; samples?: number; seed?: string; session?: SessionSettings } = {}): Promise<OutputSummary> {
  const model = loadModelFromBuffer(float);
  const input = modelInput(model);
  const gen = await createCalibrationGenerator(model, { generator: options.generator ?? 'gaussian', samples: 0, seed: options.seed ?? 'held-out', preprocessing: PRESETS.arcface });
  const a = await createSession(float, options.session);
  const b = await createSession(quantized, options.session);
  const outName = a.outputNames[0];
  let comparison: OutputComparison | null = null;
  for (let i = 0; i < (options.samples ?? 8); i++) {
    const data = new Float32Array(input.sampleDims.reduce((x, y) => x * y, 1));
    await gen.sample(i, data);
    const feeds = { [input.name]: new ort.Tensor('float32', data, [1, ...input.sampleDims]) };
    const ra = (await run(a, feeds))[outName].data as Float32Array;
    const rb = (await run(b, feeds))[outName].data as Float32Array;
    comparison ??= new OutputComparison(ra.length);
    comparison.add(ra, rb);
  }
  return comparison!.summary();
}
