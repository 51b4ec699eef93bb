import type { CommandModule } from 'yargs';
import { benchCommand } from './bench.ts';
import { calibrateCommand } from './calibrate.ts';
import { compareCommand } from './compare.ts';
import { compileCommand } from './compile.ts';
import { inspectCommand } from './inspect.ts';
import { optimizeCommand } from './optimize.ts';
import { passesCommand } from './passes.ts';
import { synthCommand } from './synth.ts';
import { verifyCommand } from './verify.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  compileCommand,
  calibrateCommand,
  compareCommand,
  verifyCommand,
  benchCommand,
  inspectCommand,
  optimizeCommand,
  synthCommand,
  passesCommand,
];
