// What calibration costs over plain inference, on the real FR_FEATURE model
// (112x112 face embeddings, batch fixed at 1): 256 plain float inferences
// against calibrate() on 256 `faces` samples, both with onnxruntime's default
// thread settings. Aim: calibration < 2x plain inference per sample.
//
// The breakdown splits calibration into face rendering (generator.sample, on
// the JS thread), instrumented inference (InferenceSession.run, from call to
// result) and statistics (TensorStatistics.observe, on the JS thread). The
// runner overlaps a batch's statistics with the next batch's inference, so the
// parts add up to more than the wall time.
//
//   node --import tsx test/bench/calibration.bench.ts
//   (QUANTFACE_BENCH_SAMPLES=64 for a quicker look)

import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadModel } from '../../compiler/onnx/load.ts';
import { runPasses } from '../../compiler/pass-manager/pass-manager.ts';
import { builtinRegistry, CLEANUP_PIPELINE } from '../../passes/index.ts';
import { calibrate } from '../../runtime/calibration/calibration-runner.ts';
import { TensorStatistics } from '../../runtime/calibration/tensor-statistics.ts';
import { createInputGenerator, InputGenerator } from '../../runtime/generators/input-generator.ts';
import { imageShapeOf, PRESETS } from '../../runtime/generators/preprocessing.ts';
import { modelInput } from '../../runtime/model-runner.ts';
import { createSession, ort, run } from '../../runtime/session.ts';
import { FR_FEATURE } from '../fixtures/real-models.ts';

const SAMPLES = Number(process.env.QUANTFACE_BENCH_SAMPLES ?? 256);

export interface CalibrationBenchResult {
  samples: number;
  /** Milliseconds per sample. */
  plainInferenceMs: number;
  calibrationMs: number;
  ratio: number;
  breakdown: { faceRenderingMs: number; instrumentedInferenceMs: number; statisticsMs: number; inferenceCalls: number; observeCalls: number };
  /** Rendering the faces alone, outside calibration. */
  standaloneRenderingMs: number;
}

export async function main(): Promise<CalibrationBenchResult> {
  const model = loadModel(FR_FEATURE);
  // What `quantface calibrate` and `compile` calibrate: the cleaned model.
  await runPasses(model, builtinRegistry().resolve(CLEANUP_PIPELINE));
  const input = modelInput(model);
  const pre = PRESETS.arcface;
  const makeFaces = () => createInputGenerator('faces', {
    seed: 'bench',
    sampleDims: input.sampleDims,
    image: { shape: imageShapeOf([1, ...input.sampleDims], pre, input.name), preprocessing: pre },
  });
  const per = input.sampleDims.reduce((a, b) => a * b, 1);

  // The same 256 faces, rendered up front, for the plain inferences.
  const faces = await makeFaces();
  const inputs: Float32Array[] = [];
  let t = performance.now();
  for (let i = 0; i < SAMPLES; i++) {
    const x = new Float32Array(per);
    await faces.sample(i, x);
    inputs.push(x);
  }
  const standaloneRenderingMs = (performance.now() - t) / SAMPLES;

  // Plain float inference, default threads, one warm-up run.
  const session = await createSession(FR_FEATURE);
  const feed = (x: Float32Array) => ({ [input.name]: new ort.Tensor('float32', x, [1, ...input.sampleDims]) });
  await run(session, feed(inputs[0]));
  t = performance.now();
  for (const x of inputs) await run(session, feed(x));
  const plainInferenceMs = (performance.now() - t) / SAMPLES;
  await session.release();
  inputs.length = 0;

  // Calibration through calibrate(), with the same (default) thread settings, timed by parts.
  const timing = { render: 0, infer: 0, stats: 0, inferCalls: 0, observeCalls: 0 };
  const inner = await makeFaces();
  const generator: InputGenerator = {
    description: inner.description,
    async sample(index, out) {
      const t0 = performance.now();
      await inner.sample(index, out);
      timing.render += performance.now() - t0;
    },
  };
  const restore = patch(timing);
  let calibrationMs: number;
  try {
    t = performance.now();
    const result = await calibrate(model, { generator, samples: SAMPLES });
    calibrationMs = (performance.now() - t) / SAMPLES;
    if (result.tensors.size === 0) throw new Error('calibrate watched no tensor');
  } finally {
    restore();
  }

  const out: CalibrationBenchResult = {
    samples: SAMPLES,
    plainInferenceMs,
    calibrationMs,
    ratio: calibrationMs / plainInferenceMs,
    breakdown: {
      faceRenderingMs: timing.render / SAMPLES,
      instrumentedInferenceMs: timing.infer / SAMPLES,
      statisticsMs: timing.stats / SAMPLES,
      inferenceCalls: timing.inferCalls,
      observeCalls: timing.observeCalls,
    },
    standaloneRenderingMs,
  };
  printTable(out);
  return out;
}

/** Times InferenceSession.run and TensorStatistics.observe; returns the undo. */
function patch(timing: { infer: number; stats: number; inferCalls: number; observeCalls: number }): () => void {
  // Typed as a factory, InferenceSession is a class at run time.
  const sessionProto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
  const originalRun = sessionProto.run;
  sessionProto.run = async function (this: ort.InferenceSession, ...args: Parameters<ort.InferenceSession['run']>) {
    const t0 = performance.now();
    try {
      return await (originalRun as (...a: unknown[]) => ReturnType<ort.InferenceSession['run']>).apply(this, args);
    } finally {
      timing.infer += performance.now() - t0;
      timing.inferCalls++;
    }
  } as ort.InferenceSession['run'];
  const originalObserve = TensorStatistics.prototype.observe;
  TensorStatistics.prototype.observe = function (this: TensorStatistics, ...args: Parameters<TensorStatistics['observe']>) {
    const t0 = performance.now();
    try {
      return originalObserve.apply(this, args);
    } finally {
      timing.stats += performance.now() - t0;
      timing.observeCalls++;
    }
  };
  return () => {
    sessionProto.run = originalRun;
    TensorStatistics.prototype.observe = originalObserve;
  };
}

function printTable(r: CalibrationBenchResult): void {
  const ms = (x: number) => `${x.toFixed(1)} ms`.padStart(10);
  const rows: [string, string][] = [
    [`plain float inference (${r.samples} samples)`, ms(r.plainInferenceMs)],
    [`calibrate() on ${r.samples} faces samples`, ms(r.calibrationMs)],
    ['ratio (aim < 2x)', `${r.ratio.toFixed(2)}x`.padStart(10)],
    ['', ''],
    ['calibration breakdown, per sample:', ''],
    ['  face rendering', ms(r.breakdown.faceRenderingMs)],
    [`  instrumented inference (${r.breakdown.inferenceCalls} runs, overlaps statistics)`, ms(r.breakdown.instrumentedInferenceMs)],
    [`  statistics (${r.breakdown.observeCalls} observe calls)`, ms(r.breakdown.statisticsMs)],
    ['face rendering alone, outside calibration', ms(r.standaloneRenderingMs)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`FR_FEATURE calibration cost, ms per sample (onnxruntime default threads, ${os.cpus().length} cores)`);
  for (const [k, v] of rows) console.log(v ? `${k.padEnd(width)}  ${v}` : k);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
