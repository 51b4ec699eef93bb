import type { CommandModule } from 'yargs';
import { loadModel } from '../../onnx/load.ts';
import { UserError } from '../../errors.ts';
import { benchmark } from '../../../runtime/evaluation/benchmark.ts';
import { modelInput } from '../../../runtime/model-runner.ts';
import { table } from '../format.ts';

interface Args {
  models: string[];
  threads: number;
  runs: number;
  warmup: number;
  json: boolean;
}

export const benchCommand: CommandModule<object, Args> = {
  command: 'bench <models..>',
  describe: 'latency median and p90 in onnxruntime-node, and the ratio to the first model, measured in one interleaved run',
  builder: (y) =>
    y
      .positional('models', { type: 'string', array: true, demandOption: true })
      .option('threads', { type: 'number', default: 1, describe: 'intra-op threads (1 makes figures comparable across machines)' })
      .option('runs', { type: 'number', default: 50 })
      .option('warmup', { type: 'number', default: 5 })
      .option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => {
    if (!(args.runs >= 1) || !(args.threads >= 0)) throw new UserError('--runs must be at least 1 and --threads at least 0');
    const input = modelInput(loadModel(args.models[0]));
    const results = await benchmark(args.models.map((m) => ({ name: m, model: m })), { threads: args.threads, runs: args.runs, warmup: args.warmup, input });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ threads: args.threads, runs: args.runs, results }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${args.runs} runs each, ${args.threads} thread(s), interleaved\n`);
    process.stdout.write(`${table(['model', 'median', 'p90', 'ratio'], results.map((r) => [r.name, `${r.medianMs.toFixed(2)} ms`, `${r.p90Ms.toFixed(2)} ms`, `${r.ratio.toFixed(2)}x`]))}\n`);
  },
};
