import type { CommandModule } from 'yargs';
import { createLogger, LogLevel } from '../../logger.ts';
import { loadModel } from '../../onnx/load.ts';
import { UserError } from '../../errors.ts';
import { imageShapeOf, parsePreprocessing } from '../../../runtime/generators/preprocessing.ts';
import { loadFaceSet } from '../../../runtime/evaluation/face-sets.ts';
import { verifyModels } from '../../../runtime/evaluation/verify-models.ts';
import { modelInput } from '../../../runtime/model-runner.ts';
import { table } from '../format.ts';
import { InputArgs, withInputOptions } from '../input-options.ts';

interface Args extends InputArgs {
  models: string[];
  pairs: string;
  impostors: number;
  json: boolean;
  'log-level': LogLevel;
}

export const verifyCommand: CommandModule<object, Args> = {
  command: 'verify <models..>',
  describe: 'face verification accuracy, TAR@FAR and ROC AUC on identity folders (or synthetic identities); with two models, the share of decisions that change',
  builder: (y) =>
    withInputOptions(
      y
        .positional('models', { type: 'string', array: true, demandOption: true, describe: 'embedding models (the first is the reference)' })
        .option('pairs', { type: 'string', default: 'faces:100x4', describe: 'folder with one sub-folder of aligned photos per identity, or faces:IDENTITIESxPHOTOS (synthetic)' })
        .option('impostors', { type: 'number', default: 10, describe: 'impostor pairs sampled per genuine pair (seeded)' })
        .option('json', { type: 'boolean', default: false }),
    ) as never,
  handler: async (args) => {
    const logger = createLogger(args['log-level']);
    const models = args.models.map((f) => ({ file: f, model: loadModel(f) }));
    const input = modelInput(models[0].model);
    for (const m of models.slice(1)) {
      const other = modelInput(m.model);
      if (other.sampleDims.join() !== input.sampleDims.join()) throw new UserError(`'${m.file}' takes [${other.sampleDims}], '${models[0].file}' takes [${input.sampleDims}]`);
    }
    const pre = parsePreprocessing({ preset: args.preset, mean: args.mean, std: args.std, channelOrder: args['channel-order'], layout: args.layout });
    const set = loadFaceSet(args.pairs, imageShapeOf([1, ...input.sampleDims], pre, input.name), pre, args.seed, logger);
    const reports = await verifyModels(models.map((m) => m.file), set, { input, seed: args.seed, impostorPerGenuine: args.impostors });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ source: set.source, faces: set.samples.length, identities: set.identities, models: models.map((m, i) => ({ model: m.file, ...reports[i] })) }, null, 2)}\n`);
      return;
    }
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(2)}%`);
    const rows = models.map((m, i) => {
      const r = reports[i];
      return [m.file, pct(r.best.accuracy), pct(r.tarAtFar[0].point?.tar), pct(r.tarAtFar[1].point?.tar), r.rocAuc.toFixed(4), r.agreement ? pct(r.agreement.atReferenceThreshold) : '-', r.agreement ? pct(1 - r.agreement.atReferenceThreshold) : '-'];
    });
    process.stdout.write(`${set.source}: ${set.samples.length} faces, ${reports[0].genuinePairs} genuine and ${reports[0].impostorPairs} impostor pairs\n`);
    process.stdout.write(`${table(['model', 'accuracy', 'TAR@FAR=1e-2', 'TAR@FAR=1e-3', 'ROC AUC', 'same decision', 'changed'], rows)}\n`);
  },
};
