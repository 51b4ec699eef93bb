import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../errors.ts';
import { createLogger, LogLevel } from '../../logger.ts';
import { loadModel } from '../../onnx/load.ts';
import { saveModel, writeAtomic } from '../../onnx/save.ts';
import { cleanedCopy, compileModel, createCalibrationGenerator } from '../../pipeline/compile.ts';
import { floatParameterCount, sizeReport, SizeReport } from '../../quant/size-report.ts';
import { readCalibrationCacheFile } from '../../../runtime/calibration/calibration-cache.ts';
import { RANGE_METHODS, RangeMethod } from '../../../runtime/calibration/range-methods.ts';
import { compareModels, CompareReport } from '../../../runtime/evaluation/compare-models.ts';
import { modelInput } from '../../../runtime/model-runner.ts';
import { loadModelFromBuffer } from '../../onnx/load.ts';
import { serializeModel } from '../../onnx/save.ts';
import { formatBytes, formatMs } from '../format.ts';
import { calibrationSettings, InputArgs, withInputOptions } from '../input-options.ts';
import { PipelineArgs, splitList, withPipelineOptions } from '../pipeline-options.ts';
import { terminalProgress } from '../progress.ts';
import { QuantizationArgs, quantizationConfig, withQuantizationOptions } from '../quantization-options.ts';
import { buildCompileReport, writeReport } from '../../pipeline/compile-report.ts';
import { MIXED_PRECISION_OPTION } from '../../../passes/mixed-precision.ts';

interface Args extends InputArgs, QuantizationArgs, PipelineArgs {
  model: string;
  output: string;
  calib: string;
  samples: number;
  method: string;
  percentile?: number;
  'calibration-cache'?: string;
  optimize?: string[];
  'size-budget'?: string;
  'min-cosine'?: number;
  report?: string;
  evaluate: number;
  'external-data': boolean;
  'log-level': LogLevel;
}

export const compileCommand: CommandModule<object, Args> = {
  command: 'compile <model>',
  describe: 'quantize a float model to an integer QDQ model, calibrated on synthetic inputs',
  builder: (y) =>
    withPipelineOptions(withInputOptions(withQuantizationOptions(
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'float ONNX model' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'quantized ONNX model to write' })
        .option('calib', { type: 'string', default: 'faces', group: 'Calibration:', describe: 'calibration inputs: faces, gaussian, uniform, generator:G.onnx, images:DIR' })
        .option('samples', { type: 'number', default: 128, group: 'Calibration:', describe: 'calibration samples' })
        .option('method', { choices: RANGE_METHODS as unknown as string[], default: 'mse', group: 'Calibration:', describe: 'activation range method' })
        .option('percentile', { type: 'number', group: 'Calibration:', describe: 'for --method percentile (default 99.99)' })
        .option('calibration-cache', { type: 'string', group: 'Calibration:', describe: 'statistics from `quantface calibrate` (no calibration run)' })
        .option('optimize', { type: 'string', array: true, default: ['bias-correct'], describe: 'error-compensating passes: equalize, search-ranges, round-weights, bias-correct, sensitivity (none: calibration only)' })
        .option('size-budget', { type: 'string', group: 'Mixed precision:', describe: 'keep weights (params x bits / 8) under this size, e.g. 0.9MB: layers that matter least go to the scheme\'s bits, the rest stay at 8' })
        .option('min-cosine', { type: 'number', group: 'Mixed precision:', describe: 'lower as many layers to the scheme\'s bits as keep this held-out output cosine' })
        .option('report', { type: 'string', describe: 'write everything compile measured, per layer, as JSON' })
        .option('evaluate', { type: 'number', default: 16, describe: 'held-out samples for the accuracy figures in the summary/report (0: skip)' })
        .option('external-data', { type: 'boolean', default: false, describe: 'store tensors in OUTPUT.data beside the model' }),
    ))) as never,
  handler: async (args) => {
    const logger = createLogger(args['log-level']);
    if (path.resolve(args.output) === path.resolve(args.model)) throw new UserError('refusing to overwrite the input model: choose another --output');
    const inputBytes = fs.readFileSync(args.model, { flag: 'r' });
    const model = loadModel(args.model);
    const floatBytesOnDisk = inputBytes.byteLength;
    const floatModelBytes = serializeModel(model);
    const quantization = quantizationConfig(args);
    const calibration = calibrationSettings(args, args.calib, args.samples);
    if (args['calibration-cache']) {
      const cache = readCalibrationCacheFile(args['calibration-cache']);
      const sha = crypto.createHash('sha256').update(inputBytes).digest('hex');
      if (cache.model.sha256 !== sha) throw new UserError(`calibration cache '${args['calibration-cache']}' was made for another model (${cache.model.name})`);
      calibration.cache = cache;
    }
    const optimize = splitList(args.optimize).filter((p) => p !== 'none');
    const passOptions = new Map<string, unknown>();
    if (args['size-budget'] !== undefined || args['min-cosine'] !== undefined) {
      if (args['min-cosine'] !== undefined && !(args['min-cosine'] > -1 && args['min-cosine'] <= 1)) throw new UserError('--min-cosine must be in (-1, 1]');
      passOptions.set(MIXED_PRECISION_OPTION, { sizeBudgetBytes: args['size-budget'] !== undefined ? parseSize(args['size-budget']) : undefined, minCosine: args['min-cosine'] });
      if (!optimize.includes('mixed-precision')) optimize.push('mixed-precision');
    }
    const progress = terminalProgress();
    const t0 = performance.now();
    const result = await compileModel(model, {
      quantization,
      calibration,
      range: { method: args.method as RangeMethod, percentile: args.percentile },
      optimize,
      passOptions,
      plugins: args.plugin,
      printIrAfter: new Set(splitList(args['print-ir-after'])),
      verify: args.verify,
      logger,
      onProgress: (label, done, total) => progress.update(label, done, total),
    });
    progress.stop();
    const compileMs = performance.now() - t0;
    const t1 = performance.now();
    if (result.summary.layers.length === 0 && Object.keys(result.summary.activationTensors).length === 0) {
      writeAtomic(path.resolve(args.output), [inputBytes]);
      logger.warn(`no op of this model can be quantized; wrote it unchanged to ${args.output}`);
      return;
    }
    const saved = saveModel(model, args.output, { externalData: args['external-data'] || undefined });
    const saveMs = performance.now() - t1;
    const stages = [...result.stages, { name: 'save', ms: saveMs }];
    const size = sizeReport(floatParameterCount(loadModelFromBuffer(floatModelBytes)), result.summary, { float: floatBytesOnDisk, quantized: saved.modelBytes + saved.externalBytes });
    let evaluation: CompareReport | undefined;
    if (args.evaluate > 0) {
      const floatModel = loadModelFromBuffer(floatModelBytes);
      const generator = await createCalibrationGenerator(floatModel, calibration, logger, `${args.seed}:held-out`);
      const reference = args.report ? await cleanedCopy(floatModel) : floatModel;
      evaluation = await compareModels(reference, loadModel(args.output), { generator, samples: args.evaluate, input: modelInput(floatModel, calibration.dims), layers: !!args.report });
    }
    printSummary(args, result, size, stages, compileMs + saveMs, evaluation, logger);
    if (args.report) {
      writeReport(args.report, buildCompileReport({ args, inputBytes, outputFile: args.output, result, size, stages, evaluation }));
      logger.info(`report: ${args.report}`);
    }
  },
};

function printSummary(args: Args, result: Awaited<ReturnType<typeof compileModel>>, size: SizeReport, stages: { name: string; ms: number }[], totalMs: number, evaluation: CompareReport | undefined, logger: ReturnType<typeof createLogger>): void {
  const s = result.summary;
  const folded = result.reports.filter((r) => r.name === 'fold-batchnorm').reduce((n, r) => n + (r.stats['fold-batchnorm'] ?? 0), 0);
  const removed = result.reports.filter((r) => ['eliminate-identity', 'eliminate-dead', 'lift-constants', 'fold-constants', 'fuse-pad'].includes(r.name)).reduce((n, r) => n + Math.max(0, r.nodesBefore - r.nodesAfter), 0);
  const bits = new Map<string, number>();
  for (const l of s.layers) {
    const key = l.storedWeightBits === l.weightBits ? `${l.weightBits}-bit` : `${l.weightBits}-bit (${l.storedWeightBits}-bit codes)`;
    bits.set(key, (bits.get(key) ?? 0) + 1);
  }
  const lines = [
    `${args.model} -> ${args.output}`,
    `  cleanup: ${folded} BatchNormalization folded, ${removed} nodes removed`,
    `  calibrated on ${result.calibration.samples} ${String(result.calibration.generator.kind ?? args.calib)} samples, ranges by ${args.method}`,
    `  weights: ${s.layers.length} layers (${[...bits].map(([k, n]) => `${n} at ${k}`).join(', ') || 'none'})`,
    `  activations: ${Object.entries(s.activationTensors).map(([k, n]) => `${n} tensors at ${k}`).join(', ') || 'float'}`,
    `  size on disk: ${formatBytes(size.floatFileBytes!)} -> ${formatBytes(size.quantizedFileBytes!)}; parameters x bits / 8: ${(size.floatParameterBytes / 1e6).toFixed(2)} MB -> ${(size.quantizedParameterBytes / 1e6).toFixed(2)} MB`,
  ];
  if (evaluation) {
    const o = evaluation.outputs[0];
    lines.push(`  held-out ${evaluation.samples} samples: cosine mean ${o.meanCosine.toFixed(4)} (min ${o.minCosine.toFixed(4)}), SQNR ${o.sqnrDb.toFixed(1)} dB`);
  }
  lines.push(`  time: ${stages.map((st) => `${st.name} ${formatMs(st.ms)}`).join(', ')} (total ${formatMs(totalMs)})`);
  logger.info(lines.join('\n'));
  const float = Object.entries(s.floatOps);
  if (float.length) logger.warn(`these ops stay float (no integer kernel, or excluded): ${float.map(([op, n]) => `${op} x${n}`).join(', ')}`);
}

/** '0.9MB', '900KB', '1.2MiB', '500000' -> bytes. */
export function parseSize(text: string): number {
  const m = /^\s*([\d.]+)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(text);
  const units: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 2 ** 20, gb: 1e9, gib: 2 ** 30 };
  if (!m || !Number.isFinite(Number(m[1])) || Number(m[1]) <= 0) throw new UserError(`--size-budget takes a size like 0.9MB or 900KB, got '${text}'`);
  return Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()];
}
