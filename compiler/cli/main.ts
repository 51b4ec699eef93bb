// The quantface command line. Every command is a module in commands/; this
// file wires them into yargs and turns failures into one line and an exit code:
// a UserError (bad file, flag, config) is the user's to fix and gets no stack
// trace; anything else is a quantface bug and says so.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../errors.ts';
import { commands } from './commands/index.ts';

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('quantface')
    .usage('$0 <command> [options]\n\nQuantize ONNX models to integer ONNX, calibrated on synthetic data.')
    .strict()
    .demandCommand(1, 'name a command: quantface --help lists them')
    .recommendCommands()
    .option('log-level', { choices: ['silent', 'error', 'warn', 'info', 'debug'] as const, default: 'info' as const, describe: 'how much to print on stderr' })
    .fail((message, error) => {
      throw error ?? new UserError(message);
    })
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100));
  for (const c of commands) parser.command(c);
  try {
    await parser.parseAsync();
  } catch (e) {
    exitCode = reportFailure(e);
  }
  return exitCode;
}

function reportFailure(e: unknown): number {
  if (e instanceof UserError) {
    process.stderr.write(`quantface: ${e.message}\n`);
    return 1;
  }
  const err = e as Error;
  process.stderr.write(`quantface: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.QUANTFACE_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  else process.stderr.write('(this is a quantface bug; set QUANTFACE_DEBUG=1 for the stack trace and report it)\n');
  return 2;
}

if (import.meta.url === `file://${process.argv[1]}` || process.env.QUANTFACE_CLI_ENTRY === '1') {
  main(hideBin(process.argv)).then((code) => process.exit(code));
}
