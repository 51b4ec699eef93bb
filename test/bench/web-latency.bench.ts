// Latency in onnxruntime-web (the WASM backend, under Node, 1 thread):
// float vs W8A8 vs weight-only fr_feature, median of 20 interleaved runs.
// Integer activations may not pay off in WASM; weight-only keeps the 4x
// smaller weights with float activations.
//
//   node --import tsx test/bench/web-latency.bench.ts

import { fileURLToPath } from 'node:url';
import * as web from 'onnxruntime-web';
import { loadModel, loadModelFromBuffer } from '../../compiler/onnx/load.ts';
import { serializeModel } from '../../compiler/onnx/save.ts';
import { compileModel } from '../../compiler/pipeline/compile.ts';
import { table } from '../../compiler/cli/format.ts';
import type { QuantizationConfig } from '../../passes/quantize/quantization-config.ts';
import { PRESETS } from '../../runtime/generators/preprocessing.ts';
import { quantile } from '../../runtime/evaluation/benchmark.ts';
import { FR_FEATURE } from '../fixtures/real-models.ts';

async function compiled(bytes: Uint8Array, quantization: Partial<QuantizationConfig>): Promise<Uint8Array> {
  const model = loadModelFromBuffer(bytes);
  await compileModel(model, { quantization, calibration: { generator: 'faces', samples: 16, seed: 'web', preprocessing: PRESETS.arcface }, range: { method: 'mse' } });
  return serializeModel(model);
}

export async function main(): Promise<void> {
  web.env.wasm.numThreads = 1;
  const float = serializeModel(loadModel(FR_FEATURE));
  const models = [
    { name: 'float', bytes: float },
    { name: 'w8a8 (target wasm)', bytes: await compiled(float, { target: 'wasm' }) },
    { name: 'w8 weight-only', bytes: await compiled(float, { weightOnly: true }) },
  ];
  const sessions = await Promise.all(models.map((m) => web.InferenceSession.create(m.bytes)));
  const feeds = { input: new web.Tensor('float32', Float32Array.from({ length: 3 * 112 * 112 }, (_, i) => Math.sin(i * 0.37)), [1, 3, 112, 112]) };
  for (const s of sessions) for (let i = 0; i < 3; i++) await s.run(feeds);
  const times: number[][] = sessions.map(() => []);
  for (let r = 0; r < 20; r++) {
    for (let k = 0; k < sessions.length; k++) {
      const t0 = performance.now();
      await sessions[k].run(feeds);
      times[k].push(performance.now() - t0);
    }
  }
  const base = quantile(times[0], 0.5);
  process.stdout.write(`\nfr_feature in onnxruntime-web (WASM, 1 thread), median of 20 interleaved runs\n${table(['model', 'bytes', 'median', 'ratio'], models.map((m, k) => [m.name, `${(m.bytes.byteLength / 2 ** 20).toFixed(2)} MiB`, `${quantile(times[k], 0.5).toFixed(1)} ms`, `${(quantile(times[k], 0.5) / base).toFixed(2)}x`]))}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
