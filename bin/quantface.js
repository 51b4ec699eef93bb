#!/usr/bin/env node
// quantface is written in TypeScript and runs through tsx's loader, so the
// installed command needs no build step.
import { register } from 'tsx/esm/api';
import { hideBin } from 'yargs/helpers';

register();
const { main } = await import('../compiler/cli/main.ts');
process.exitCode = await main(hideBin(process.argv));
