// npm run demo: compile the real MobileFaceNet face-embedding model shipped
// with faceplugin-face-recognition-js at W8A8 and W6A6, calibrated only on
// synthetic faces, and print what a user needs to decide whether to ship it:
// size, embedding cosine to the float model and verification decisions kept
// (on synthetic identities the calibration never saw), and latency.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { loadModel, loadModelFromBuffer } from '../compiler/onnx/load.ts';
import { saveModel, serializeModel } from '../compiler/onnx/save.ts';
import { compileModel, createCalibrationGenerator } from '../compiler/pipeline/compile.ts';
import { createLogger } from '../compiler/logger.ts';
import { formatBytes, formatMs, table } from '../compiler/cli/format.ts';
import { PRESETS, imageShapeOf } from '../runtime/generators/preprocessing.ts';
import { compareModels } from '../runtime/evaluation/compare-models.ts';
import { syntheticFaceSet } from '../runtime/evaluation/face-sets.ts';
import { verifyModels } from '../runtime/evaluation/verify-models.ts';
import { benchmark } from '../runtime/evaluation/benchmark.ts';
import { modelInput } from '../runtime/model-runner.ts';
import type { QuantizationConfig } from '../passes/quantize/quantization-config.ts';
import { floatParameterCount, sizeReport } from '../compiler/quant/size-report.ts';

const require = createRequire(import.meta.url);
const FR_FEATURE = path.join(path.dirname(require.resolve('faceplugin-face-recognition-js/package.json')), 'model', 'fr_feature.onnx');
const outDir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'quantface-demo-'));
fs.mkdirSync(outDir, { recursive: true });
const logger = createLogger('warn');

const variants: { name: string; quantization: Partial<QuantizationConfig>; optimize: string[] }[] = [
  { name: 'w8a8', quantization: { weightBits: 8, actBits: 8 }, optimize: ['bias-correct'] },
  { name: 'w6a6', quantization: { weightBits: 6, actBits: 6, fusePRelu: true }, optimize: ['bias-correct'] },
];

const t0 = performance.now();
const float = loadModel(FR_FEATURE);
const floatBytes = serializeModel(float);
const input = modelInput(float);
const pre = PRESETS.arcface;
const faces = syntheticFaceSet(50, 4, imageShapeOf([1, ...input.sampleDims], pre, input.name), pre, 'demo-identities');
const floatParameters = floatParameterCount(float);
const rows: string[][] = [];
const files: { name: string; model: string }[] = [{ name: 'float', model: FR_FEATURE }];
for (const v of variants) {
  const model = loadModelFromBuffer(floatBytes);
  const started = performance.now();
  const result = await compileModel(model, {
    quantization: v.quantization,
    calibration: { generator: 'faces', samples: 64, seed: 'demo', preprocessing: pre },
    range: { method: 'mse' },
    optimize: v.optimize,
    logger,
  });
  const file = path.join(outDir, `fr_feature.${v.name}.onnx`);
  saveModel(model, file);
  const compileMs = performance.now() - started;
  const generator = await createCalibrationGenerator(float, { generator: 'faces', samples: 0, seed: 'demo-held-out', preprocessing: pre });
  const compared = await compareModels(float, model, { generator, samples: 32, input });
  const verified = await verifyModels([FR_FEATURE, file], faces, { input, seed: 'demo' });
  files.push({ name: v.name, model: file });
  rows.push([
    v.name + (v.quantization.fusePRelu ? ' (fuse-prelu)' : ''),
    formatBytes(fs.statSync(file).size),
    `${(sizeReport(floatParameters, result.summary).quantizedParameterBytes / 1e6).toFixed(2)} MB`,
    compared.outputs[0].meanCosine.toFixed(4),
    `${(100 * verified[1].agreement!.atReferenceThreshold).toFixed(2)}%`,
    `${(100 * verified[1].best.accuracy).toFixed(2)}%`,
    formatMs(compileMs),
  ]);
}
const latency = await benchmark(files, { threads: 1, runs: 20, warmup: 3, input });
const withLatency = rows.map((r, i) => [...r, `${latency[i + 1].medianMs.toFixed(1)} ms (${latency[i + 1].ratio.toFixed(2)}x)`]);
process.stdout.write(`fr_feature (MobileFaceNet, ${formatBytes(fs.statSync(FR_FEATURE).size)}, params x 32 / 8 = ${((floatParameters * 4) / 1e6).toFixed(2)} MB, float latency ${latency[0].medianMs.toFixed(1)} ms at 1 thread), calibrated on 64 synthetic faces\n`);
process.stdout.write(`verification on ${faces.samples.length} synthetic faces of 50 identities: float accuracy ${(100 * (await verifyModels([FR_FEATURE], faces, { input, seed: 'demo' }))[0].best.accuracy).toFixed(2)}%\n\n`);
process.stdout.write(`${table(['model', 'size on disk', 'params x bits / 8', 'cosine', 'same decision', 'accuracy', 'compile', 'latency (ratio)'], withLatency)}\n\n`);
process.stdout.write(`models written to ${outDir}; total ${formatMs(performance.now() - t0)}\n`);
