import type { CommandModule } from 'yargs';
import { inspectCommand } from './inspect.ts';
import { optimizeCommand } from './optimize.ts';
import { passesCommand } from './passes.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [inspectCommand, optimizeCommand, passesCommand];
