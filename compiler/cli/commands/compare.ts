import type { CommandModule } from 'yargs';
import { createLogger, LogLevel } from '../../logger.ts';
import { loadModel } from '../../onnx/load.ts';
import { cleanedCopy, createCalibrationGenerator } from '../../pipeline/compile.ts';
import { compareModels } from '../../../runtime/evaluation/compare-models.ts';
import { modelInput } from '../../../runtime/model-runner.ts';
import { UserError } from '../../errors.ts';
import { table } from '../format.ts';
import { calibrationSettings, InputArgs, withInputOptions } from '../input-options.ts';

interface Args extends InputArgs {
  float: string;
  quantized: string;
  inputs: string;
  samples: number;
  layers: boolean;
  top: number;
  json: boolean;
  'log-level': LogLevel;
}

export const compareCommand: CommandModule<object, Args> = {
  command: 'compare <float> <quantized>',
  describe: 'cosine, max abs error and SQNR of the quantized outputs against the float model; --layers: per-layer SQNR',
  builder: (y) =>
    withInputOptions(
      y
        .positional('float', { type: 'string', demandOption: true })
        .positional('quantized', { type: 'string', demandOption: true })
        .option('inputs', { type: 'string', default: 'faces', describe: 'faces, gaussian, uniform, generator:G.onnx, images:DIR' })
        .option('samples', { type: 'number', default: 64 })
        .option('layers', { type: 'boolean', default: false, describe: 'also compare every intermediate tensor both models share (worst first)' })
        .option('top', { type: 'number', default: 15, describe: 'layers to list in the table' })
        .option('json', { type: 'boolean', default: false }),
    ) as never,
  handler: async (args) => {
    const logger = createLogger(args['log-level']);
    const float = loadModel(args.float);
    const quantized = loadModel(args.quantized);
    const settings = calibrationSettings({ ...args, seed: args.seed === '0' ? 'compare' : args.seed }, args.inputs, args.samples);
    const input = modelInput(float, settings.dims);
    const q = modelInput(quantized, settings.dims);
    if (q.name !== input.name || q.sampleDims.join() !== input.sampleDims.join()) throw new UserError(`the models take different inputs: '${input.name}' [${input.sampleDims}] vs '${q.name}' [${q.sampleDims}]`);
    const generator = await createCalibrationGenerator(float, settings, logger);
    const reference = args.layers ? await cleanedCopy(float) : float;
    const report = await compareModels(reference, quantized, { generator, samples: args.samples, input, layers: args.layers });
    await generator.close?.();
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
      return;
    }
    const f = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
    const lines = [
      `${args.samples} ${args.inputs} samples`,
      table(['output', 'cosine mean', 'cosine min', 'max abs error', 'SQNR dB'], report.outputs.map((o) => [o.name, f(o.meanCosine), f(o.minCosine), f(o.maxAbsError, 5), f(o.sqnrDb, 1)])),
    ];
    if (report.layers) {
      lines.push('', `layers losing the most (${Math.min(args.top, report.layers.length)} of ${report.layers.length}):`);
      lines.push(table(['tensor', 'SQNR dB', 'cosine'], report.layers.slice(0, args.top).map((l) => [l.tensor, f(l.sqnrDb, 1), f(l.meanCosine)])));
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
