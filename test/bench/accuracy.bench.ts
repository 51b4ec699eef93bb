// Accuracy tables for the README, measured on inputs the calibration never
// saw: faces with another seed, and gaussian noise.
//
//   node --import tsx test/bench/accuracy.bench.ts schemes   # fr_feature: schemes x calibration data
//   node --import tsx test/bench/accuracy.bench.ts passes    # error-compensating passes, cumulative
//   node --import tsx test/bench/accuracy.bench.ts aims      # fr_feature: the best configuration per aim
//   node --import tsx test/bench/accuracy.bench.ts emission  # fr_feature W8A8: target x86/vnni, fused vs emulated, --fuse-prelu
//
// Each row: compile, then embedding cosine to the float model (mean over 32
// held-out samples), share of verification decisions kept on synthetic
// identities (float model's threshold), size and latency ratio.

import { fileURLToPath } from 'node:url';
import type { Model } from '../../compiler/ir/model.ts';
import { loadModel, loadModelFromBuffer } from '../../compiler/onnx/load.ts';
import { serializeModel } from '../../compiler/onnx/save.ts';
import { compileModel, createCalibrationGenerator } from '../../compiler/pipeline/compile.ts';
import { floatParameterCount, sizeReport } from '../../compiler/quant/size-report.ts';
import type { QuantizationConfig } from '../../passes/quantize/quantization-config.ts';
import { PRESETS, imageShapeOf } from '../../runtime/generators/preprocessing.ts';
import { compareModels } from '../../runtime/evaluation/compare-models.ts';
import { syntheticFaceSet } from '../../runtime/evaluation/face-sets.ts';
import { verifyModels } from '../../runtime/evaluation/verify-models.ts';
import { benchmark } from '../../runtime/evaluation/benchmark.ts';
import { modelInput } from '../../runtime/model-runner.ts';
import { buildIResNet } from '../builders/iresnet.ts';
import { buildMobileFaceNet } from '../builders/mobilefacenet.ts';
import { FR_FEATURE } from '../fixtures/real-models.ts';
import { parseScheme } from '../../passes/quantize/quantization-config.ts';
import { MIXED_PRECISION_OPTION } from '../../passes/mixed-precision.ts';

interface Row {
  model: string;
  scheme: string;
  calibration: string;
  passes: string;
  cosineFaces: number;
  cosineGaussian: number;
  decisionsKept: number;
  sizeMB: number;
  quantFaceMB: number;
  compileSeconds: number;
  latencyRatio?: number;
}

async function evaluate(name: string, float: Model, scheme: string, calibration: string, optimize: string[], extra: Partial<QuantizationConfig> = {}, options: { latency?: boolean; passOptions?: Map<string, unknown> } = {}): Promise<Row> {
  const { weightBits, actBits } = parseScheme(scheme);
  const bytes = serializeModel(float);
  const model = loadModelFromBuffer(bytes);
  const t0 = performance.now();
  const result = await compileModel(model, {
    quantization: { weightBits, actBits: actBits ?? 8, ...extra },
    calibration: { generator: calibration, samples: 64, seed: 'bench-calibration', preprocessing: PRESETS.arcface },
    range: { method: 'mse' },
    optimize,
    passOptions: options.passOptions,
  });
  const compileSeconds = (performance.now() - t0) / 1000;
  const quantized = serializeModel(model);
  const input = modelInput(float);
  const cos = async (generator: string) => {
    const gen = await createCalibrationGenerator(float, { generator, samples: 0, seed: 'bench-held-out', preprocessing: PRESETS.arcface });
    return (await compareModels(float, loadModelFromBuffer(quantized), { generator: gen, samples: 32, input })).outputs[0].meanCosine;
  };
  const faces = syntheticFaceSet(40, 4, imageShapeOf([1, ...input.sampleDims], PRESETS.arcface, input.name), PRESETS.arcface, 'bench-identities');
  const verified = await verifyModels([bytes, quantized], faces, { input, seed: 'bench' });
  const size = sizeReport(floatParameterCount(float), result.summary);
  const row: Row = {
    model: name,
    scheme: scheme + (extra.perChannel === false ? ' per-tensor' : '') + (extra.fusePRelu ? ' fuse-prelu' : ''),
    calibration,
    passes: optimize.join(' + ') || 'calibration only',
    cosineFaces: await cos('faces'),
    cosineGaussian: await cos('gaussian'),
    decisionsKept: verified[1].agreement!.atReferenceThreshold,
    sizeMB: quantized.byteLength / 2 ** 20,
    quantFaceMB: size.quantizedParameterBytes / 1e6,
    compileSeconds,
  };
  if (options.latency) {
    const b = await benchmark([{ name: 'float', model: bytes }, { name: 'q', model: quantized }], { threads: 1, runs: 20, warmup: 3, input });
    row.latencyRatio = b[1].ratio;
  }
  process.stderr.write(`${JSON.stringify(row)}\n`);
  return row;
}

function markdown(rows: Row[], columns: (keyof Row)[]): string {
  const f = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 4 : 1)) : String(v ?? ''));
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${columns.map((c) => f(r[c])).join(' | ')} |`)].join('\n');
}

export async function schemes(): Promise<Row[]> {
  const float = loadModel(FR_FEATURE);
  const rows: Row[] = [];
  for (const [scheme, extra] of [['w8a8', {}], ['w6a6', {}], ['w4a8', {}], ['w8a8', { perChannel: false }]] as [string, Partial<QuantizationConfig>][]) {
    for (const calibration of ['gaussian', 'faces']) rows.push(await evaluate('fr_feature', float, scheme, calibration, ['bias-correct'], extra, { latency: true }));
  }
  process.stdout.write(`${markdown(rows, ['scheme', 'calibration', 'sizeMB', 'quantFaceMB', 'cosineFaces', 'decisionsKept', 'latencyRatio', 'compileSeconds'])}\n`);
  return rows;
}

export async function passes(models: string[] = ['fr_feature', 'mobilefacenet', 'iresnet18']): Promise<Row[]> {
  const builders: Record<string, () => Model> = {
    fr_feature: () => loadModel(FR_FEATURE),
    mobilefacenet: () => buildMobileFaceNet({ seed: 3, batch: 1, withBatchNorm: true }),
    iresnet18: () => buildIResNet(18, { seed: 3, batch: 1 }),
  };
  // Every pass, cumulatively, on the real model; the built ones (random
  // weights, slower to compile) get the two passes that matter most.
  const steps: Record<string, string[][]> = {
    fr_feature: [[], ['equalize'], ['equalize', 'search-ranges'], ['equalize', 'search-ranges', 'round-weights'], ['equalize', 'search-ranges', 'round-weights', 'bias-correct']],
    mobilefacenet: [[], ['round-weights'], ['round-weights', 'bias-correct']],
    iresnet18: [[], ['round-weights'], ['round-weights', 'bias-correct']],
  };
  const rows: Row[] = [];
  for (const name of models) {
    const float = builders[name]();
    for (const scheme of ['w8a8', 'w6a8', 'w6a6', 'w4a8']) {
      for (const optimize of steps[name]) rows.push(await evaluate(name, float, scheme, 'faces', optimize));
      if (scheme === 'w6a6' && name === 'fr_feature') {
        rows.push(await evaluate(name, float, scheme, 'faces', ['round-weights', 'bias-correct'], { fusePRelu: true }));
        rows.push(await evaluate(name, float, scheme, 'faces', ['mixed-precision', 'round-weights', 'bias-correct'], { fusePRelu: true }, { passOptions: new Map([[MIXED_PRECISION_OPTION, { minCosine: 0.97 }]]) }));
      }
    }
  }
  process.stdout.write(`${markdown(rows, ['model', 'scheme', 'passes', 'cosineFaces', 'cosineGaussian', 'decisionsKept', 'compileSeconds'])}\n`);
  return rows;
}

/** The configurations that reach (or come closest to) issue #7's aims on fr_feature. */
export async function aims(): Promise<Row[]> {
  const float = loadModel(FR_FEATURE);
  const rows = [
    await evaluate('fr_feature', float, 'w8a8', 'faces', ['search-ranges', 'round-weights', 'bias-correct'], { fusePRelu: true }),
    await evaluate('fr_feature', float, 'w6a6', 'faces', ['round-weights', 'bias-correct'], { fusePRelu: true }),
    await evaluate('fr_feature', float, 'w6a6', 'faces', ['mixed-precision', 'round-weights', 'bias-correct'], { fusePRelu: true }, { passOptions: new Map([[MIXED_PRECISION_OPTION, { minCosine: 0.97 }]]) }),
    await evaluate('fr_feature', float, 'w4a8', 'faces', ['round-weights', 'bias-correct']),
  ];
  process.stdout.write(`${markdown(rows, ['scheme', 'passes', 'cosineFaces', 'cosineGaussian', 'decisionsKept', 'quantFaceMB', 'compileSeconds'])}\n`);
  return rows;
}

/** W8A8 emission choices on fr_feature: weight range per target, fused vs emulated, PRelu emission. */
export async function emission(): Promise<void> {
  const float = loadModel(FR_FEATURE);
  const bytes = serializeModel(float);
  const input = modelInput(float);
  const lines: string[] = ['| target | PRelu emission | cosine fused | cosine emulated | latency vs float |', '|---|---|---|---|---|'];
  for (const [target, fusePRelu] of [['x86', false], ['vnni', false], ['x86', true]] as [QuantizationConfig['target'], boolean][]) {
    const model = loadModelFromBuffer(bytes);
    await compileModel(model, {
      quantization: { target, fusePRelu },
      calibration: { generator: 'faces', samples: 64, seed: 'bench-calibration', preprocessing: PRESETS.arcface },
      range: { method: 'mse' },
      optimize: [],
    });
    const quantized = serializeModel(model);
    const gen = await createCalibrationGenerator(float, { generator: 'faces', samples: 0, seed: 'bench-held-out', preprocessing: PRESETS.arcface });
    const cos = async (optimization: 'all' | 'disabled') => (await compareModels(float, loadModelFromBuffer(quantized), { generator: gen, samples: 32, input, session: { optimization } })).outputs[0].meanCosine;
    const latency = await benchmark([{ name: 'float', model: bytes }, { name: 'q', model: quantized }], { threads: 1, runs: 20, warmup: 3, input });
    lines.push(`| ${target} (${target === 'x86' ? '7-bit' : '8-bit'} weight codes) | ${fusePRelu ? 'fuse-prelu' : 'split (default)'} | ${(await cos('all')).toFixed(4)} | ${(await cos('disabled')).toFixed(4)} | ${latency[1].ratio.toFixed(2)}x |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function main(): Promise<void> {
  const which = process.argv[2] ?? 'schemes';
  if (which === 'schemes') await schemes();
  else if (which === 'aims') await aims();
  else if (which === 'emission') await emission();
  else await passes(process.argv.slice(3).length ? process.argv.slice(3) : undefined);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
