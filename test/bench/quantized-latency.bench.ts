// Float vs W8A8 latency in onnxruntime-node, 1 thread, median of 50 runs,
// interleaved, as ratios from the same run: fr_feature (real MobileFaceNet)
// and a ResNet-50-shaped graph (built, random weights, BatchNorm folded).
// Aim: W8A8 at most 0.7x float latency on the ResNet-shaped graph.
//
//   node --import tsx test/bench/quantized-latency.bench.ts

import { fileURLToPath } from 'node:url';
import type { Model } from '../../compiler/ir/model.ts';
import { loadModel, loadModelFromBuffer } from '../../compiler/onnx/load.ts';
import { serializeModel } from '../../compiler/onnx/save.ts';
import { compileModel } from '../../compiler/pipeline/compile.ts';
import { table } from '../../compiler/cli/format.ts';
import { PRESETS } from '../../runtime/generators/preprocessing.ts';
import { benchmark, BenchResult } from '../../runtime/evaluation/benchmark.ts';
import { modelInput } from '../../runtime/model-runner.ts';
import { buildResNet50 } from '../builders/resnet50.ts';
import { FR_FEATURE } from '../fixtures/real-models.ts';

async function quantized(model: Model, generator: string): Promise<Uint8Array> {
  const copy = loadModelFromBuffer(serializeModel(model));
  await compileModel(copy, {
    quantization: { weightBits: 8, actBits: 8 },
    calibration: { generator, samples: 16, seed: 'bench', preprocessing: PRESETS[generator === 'faces' ? 'arcface' : 'imagenet'] },
    range: { method: 'mse' },
  });
  return serializeModel(copy);
}

export async function main(): Promise<{ model: string; results: BenchResult[] }[]> {
  const cases = [
    { name: 'fr_feature (MobileFaceNet, 112x112)', model: loadModel(FR_FEATURE), generator: 'faces' },
    { name: 'ResNet-50-shaped (224x224, random weights)', model: buildResNet50({ seed: 1, batch: 1, foldedBatchNorm: true }), generator: 'uniform' },
  ];
  const out: { model: string; results: BenchResult[] }[] = [];
  const rows: string[][] = [];
  for (const c of cases) {
    const float = serializeModel(c.model);
    const w8a8 = await quantized(c.model, c.generator);
    const results = await benchmark([{ name: 'float', model: float }, { name: 'w8a8', model: w8a8 }], { threads: 1, runs: 50, warmup: 5, input: modelInput(c.model) });
    out.push({ model: c.name, results });
    rows.push([c.name, `${results[0].medianMs.toFixed(2)} ms`, `${results[1].medianMs.toFixed(2)} ms`, `${results[1].p90Ms.toFixed(2)} ms`, `${results[1].ratio.toFixed(2)}x`]);
  }
  process.stdout.write(`\nfloat vs W8A8, onnxruntime-node, 1 thread, median of 50 interleaved runs\n${table(['model', 'float median', 'W8A8 median', 'W8A8 p90', 'W8A8 / float'], rows)}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
