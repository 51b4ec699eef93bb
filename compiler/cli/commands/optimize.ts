import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../errors.ts';
import { createLogger, LogLevel } from '../../logger.ts';
import { loadModel } from '../../onnx/load.ts';
import { saveModel } from '../../onnx/save.ts';
import { runPasses } from '../../pass-manager/pass-manager.ts';
import { builtinRegistry } from '../../../passes/index.ts';
import { numericVerifier } from '../../../runtime/evaluation/numeric-verifier.ts';
import { formatBytes } from '../format.ts';
import { resolvePipeline } from '../../pass-manager/plugins.ts';
import { PipelineArgs, passTimingTable, splitList, withPipelineOptions } from '../pipeline-options.ts';

interface Args extends PipelineArgs {
  model: string;
  output: string;
  passes?: string[];
  'external-data': boolean;
  'log-level': LogLevel;
}

export const optimizeCommand: CommandModule<object, Args> = {
  command: 'optimize <model>',
  describe: 'run graph passes (default: the cleanup pipeline) and write the result',
  builder: (y) =>
    withPipelineOptions(
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output ONNX file (never the input)' })
        .option('passes', { type: 'string', array: true, describe: 'comma-separated passes or pipelines (see `quantface passes`); default: cleanup' })
        .option('external-data', { type: 'boolean', default: false, describe: 'store tensors in OUTPUT.data beside the model' }),
    ) as never,
  handler: async (args) => {
    const logger = createLogger(args['log-level']);
    if (path.resolve(args.output) === path.resolve(args.model)) throw new UserError('refusing to overwrite the input model: choose another --output');
    const model = loadModel(args.model);
    const registry = builtinRegistry();
    const names = splitList(args.passes);
    const passes = await resolvePipeline(registry, names.length ? names : ['cleanup'], args.plugin);
    const verifier = args.verify ? await numericVerifier(model, logger) : undefined;
    const reports = await runPasses(model, passes, {
      logger,
      printIrAfter: new Set(splitList(args['print-ir-after'])),
      afterPass: verifier?.afterPass,
    });
    const saved = saveModel(model, args.output, { externalData: args['external-data'] || undefined });
    logger.info(passTimingTable(reports));
    logger.info(`wrote ${args.output} (${formatBytes(saved.modelBytes)}${saved.externalBytes ? ` + ${formatBytes(saved.externalBytes)} external data` : ''})`);
  },
};
