// Runs the real quantface command in a child process, the way a user does.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';

const BIN = path.resolve('bin/quantface.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function quantface(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, QUANTFACE_DEBUG: '' }, timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: non-zero exit, one line on stderr, no stack trace. */
export function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).to.equal(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^quantface: /);
  expect(lines[0]).to.match(pattern);
  expect(r.stderr).to.not.match(/\n\s+at /);
}
