import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../../../passes/index.ts';
import { table } from '../format.ts';

export const passesCommand: CommandModule<object, { json: boolean }> = {
  command: 'passes',
  describe: 'list the registered passes and pipelines',
  builder: (y) => y.option('json', { type: 'boolean', default: false }) as never,
  handler: (args) => {
    const list = builtinRegistry().list();
    process.stdout.write(args.json ? `${JSON.stringify(list, null, 2)}\n` : `${table(['name', 'kind', 'description'], list.map((p) => [p.name, p.kind, p.description]))}\n`);
  },
};
