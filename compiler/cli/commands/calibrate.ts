import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../errors.ts';
import { createLogger, LogLevel } from '../../logger.ts';
import { loadModel } from '../../onnx/load.ts';
import { writeAtomic } from '../../onnx/save.ts';
import { runPasses } from '../../pass-manager/pass-manager.ts';
import { createCalibrationGenerator } from '../../pipeline/compile.ts';
import { builtinRegistry, CLEANUP_PIPELINE } from '../../../passes/index.ts';
import { CALIBRATION_ARTIFACT } from '../../../passes/quantize/activation-ranges.ts';
import { CalibrationCache, CALIBRATION_CACHE_VERSION, mergeCaches, readCalibrationCacheFile, writeCalibrationCache } from '../../../runtime/calibration/calibration-cache.ts';
import { createModelServices } from '../../../runtime/model-services.ts';
import { formatMs } from '../format.ts';
import { calibrationSettings, InputArgs, withInputOptions } from '../input-options.ts';
import { terminalProgress } from '../progress.ts';

interface Args extends InputArgs {
  model?: string;
  output: string;
  calib: string;
  samples: number;
  'first-sample': number;
  merge?: string[];
  'log-level': LogLevel;
}

export const calibrateCommand: CommandModule<object, Args> = {
  command: 'calibrate [model]',
  describe: 'collect activation statistics once, into a cache file that compile reads (shards merge with --merge)',
  builder: (y) =>
    withInputOptions(
      y
        .positional('model', { type: 'string', describe: 'float ONNX model' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'calibration cache (JSON) to write' })
        .option('calib', { type: 'string', default: 'faces', describe: 'faces, gaussian, uniform, generator:G.onnx, images:DIR' })
        .option('samples', { type: 'number', default: 128, describe: 'samples in this run' })
        .option('first-sample', { type: 'number', default: 0, describe: 'index of the first sample: shards of one calibration start at different indices' })
        .option('merge', { type: 'string', array: true, describe: 'merge these cache files (shards of one model) instead of calibrating' }),
    ) as never,
  handler: async (args) => {
    const logger = createLogger(args['log-level']);
    if (args.merge?.length) {
      if (args.merge.length < 2) throw new UserError('--merge needs at least two cache files');
      const caches = args.merge.map((f) => readCalibrationCacheFile(f));
      let merged = caches[0];
      for (const c of caches.slice(1)) {
        try {
          merged = mergeCaches(merged, c);
        } catch (e) {
          throw new UserError((e as Error).message.replace(/^mergeCaches: /, ''));
        }
      }
      writeAtomic(path.resolve(args.output), [Buffer.from(writeCalibrationCache(merged))]);
      logger.info(`merged ${args.merge.length} caches (${merged.samples} samples, ${merged.tensors.size} tensors) into ${args.output}`);
      return;
    }
    if (!args.model) throw new UserError('name a model to calibrate, or --merge cache files');
    if (!Number.isInteger(args['first-sample']) || args['first-sample'] < 0) throw new UserError('--first-sample must be a non-negative integer');
    const bytes = fs.readFileSync(args.model);
    const model = loadModel(args.model);
    const settings = calibrationSettings(args, args.calib, args.samples);
    const generator = await createCalibrationGenerator(model, settings, logger);
    const progress = terminalProgress();
    const artifacts = new Map<string, unknown>();
    const t0 = performance.now();
    const services = createModelServices({
      calibration: { generator, samples: settings.samples, firstSample: args['first-sample'] },
      dims: settings.dims,
      onProgress: (label, done, total) => progress.update(label, done, total),
    });
    // Statistics are taken on the cleaned model, which is what compile quantizes.
    await runPasses(model, builtinRegistry().resolve([...CLEANUP_PIPELINE, 'calibrate']), { logger, artifacts, services });
    progress.stop();
    await generator.close?.();
    const found = artifacts.get(CALIBRATION_ARTIFACT) as Pick<CalibrationCache, 'tensors' | 'samples'>;
    const cache: CalibrationCache = {
      version: CALIBRATION_CACHE_VERSION,
      model: { name: path.basename(args.model), sha256: crypto.createHash('sha256').update(bytes).digest('hex') },
      samples: found.samples,
      generator: { ...generator.description, firstSample: args['first-sample'] },
      tensors: found.tensors,
    };
    writeAtomic(path.resolve(args.output), [Buffer.from(writeCalibrationCache(cache))]);
    logger.info(`calibrated ${cache.tensors.size} tensors on ${cache.samples} ${args.calib} samples in ${formatMs(performance.now() - t0)}; wrote ${args.output}`);
  },
};
