import { expect } from 'chai';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveModel } from '../compiler/onnx/save.ts';
import { readCalibrationCache, type CalibrationCache } from '../runtime/calibration/calibration-cache.ts';
import { buildCalibrationConvNet } from './builders/calibration-models.ts';
import { FR_FEATURE } from './fixtures/real-models.ts';
import { CliResult, expectOneLineError } from './helpers/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qf-calibration-cli-'));
const file = (name: string) => path.join(dir, name);

function readCache(name: string): CalibrationCache {
  return readCalibrationCache(fs.readFileSync(file(name), 'utf8'));
}

// Each run of the CLI spends most of a second starting up, so independent runs
// go side by side, a few at a time (spawned as test/helpers/cli.ts does, but
// asynchronously).
const BIN = path.resolve('bin/quantface.js');
const MAX_RUNNING = Math.max(2, os.cpus().length + 1);
let running = 0;
const waiting: (() => void)[] = [];

async function quantfaceAsync(...args: string[]): Promise<CliResult> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, QUANTFACE_DEBUG: '' }, timeout: 300_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

async function calibrate(out: string, ...args: string[]): Promise<void> {
  const r = await quantfaceAsync('calibrate', FR_FEATURE, '-o', file(out), '--log-level', 'warn', ...args);
  expect(r.code, r.stderr).to.equal(0);
}

/** Runs that only read the caches made first, by name. */
const RUNS: Record<string, string[]> = {
  merge: ['calibrate', '--merge', file('shard0.json'), file('shard1.json'), '-o', file('merged.json')],
  compile: ['compile', FR_FEATURE, '-o', file('q.onnx'), '--calibration-cache', file('full.json'), '--evaluate', '0', '--optimize', 'none', '--report', file('report.json')],
  otherModel: ['compile', FR_FEATURE, '-o', file('q2.onnx'), '--calibration-cache', file('other.json'), '--evaluate', '0', '--optimize', 'none'],
  mergeOtherModel: ['calibrate', '--merge', file('full.json'), file('other.json'), '-o', file('bad-merge.json')],
};

/**
 * Bad input, by test name: the CLI arguments and the one-line error expected.
 * (Bad generator specs, layouts and image folders are covered in-process by
 * runtime/generators/input-generator.test.ts; every CLI start costs a second.)
 */
const BAD_INPUT: Record<string, [string[], RegExp]> = {
  '--merge with truncated JSON': [['calibrate', '--merge', file('truncated.json'), file('full.json'), '-o', file('m.json')], /calibration cache '.*truncated\.json': .*not valid JSON/],
  '--merge with a text file (ending in a newline)': [['calibrate', '--merge', file('not-json.json'), file('full.json'), '-o', file('m.json')], /not valid JSON/],
  '--merge with the wrong schema names the field': [['calibrate', '--merge', file('full.json'), file('schema.json'), '-o', file('m.json')], /calibration cache '.*schema\.json': .*model is missing/],
  'compile with a cache that is not JSON': [['compile', FR_FEATURE, '-o', file('q3.onnx'), '--calibration-cache', file('truncated.json'), '--evaluate', '0', '--optimize', 'none'], /not valid JSON/],
  'compile with a cache of the wrong schema': [['compile', FR_FEATURE, '-o', file('q3.onnx'), '--calibration-cache', file('schema.json'), '--evaluate', '0', '--optimize', 'none'], /model is missing/],
  'compile with a missing cache file': [['compile', FR_FEATURE, '-o', file('q3.onnx'), '--calibration-cache', file('absent.json'), '--evaluate', '0', '--optimize', 'none'], /absent\.json/],
  'FR_FEATURE given as a generator is not a generator': [['calibrate', FR_FEATURE, '-o', file('g.json'), '--calib', `generator:${FR_FEATURE}`, '--samples', '2'], /is not a generator network/],
};
for (const [name, [args]] of Object.entries(BAD_INPUT)) RUNS[name] = args;

const runs = new Map<string, Promise<CliResult>>();

describe('quantface calibrate (CLI)', function () {
  this.timeout(120_000);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // One 8-sample run and two 4-sample shards of FR_FEATURE, and a cache of
  // another model, shared by the tests below.
  before(async () => {
    saveModel(await buildCalibrationConvNet({ batch: 1 }), file('other.onnx'));
    await Promise.all([
      calibrate('full.json', '--samples', '8'),
      calibrate('shard0.json', '--samples', '4', '--first-sample', '0'),
      calibrate('shard1.json', '--samples', '4', '--first-sample', '4'),
      quantfaceAsync('calibrate', file('other.onnx'), '-o', file('other.json'), '--calib', 'gaussian', '--samples', '2', '--log-level', 'warn').then((r) => expect(r.code, r.stderr).to.equal(0)),
    ]);
    // Every later run only reads these files: start them all now, each test awaits its own.
    fs.writeFileSync(file('truncated.json'), fs.readFileSync(file('full.json'), 'utf8').slice(0, 200));
    fs.writeFileSync(file('not-json.json'), 'not json\n');
    fs.writeFileSync(file('schema.json'), JSON.stringify({ version: 1, samples: 8, generator: {}, tensors: {} }));
    for (const [name, args] of Object.entries(RUNS)) runs.set(name, quantfaceAsync(...args));
  });

  it('writes a cache that validates, for this model, over 8 faces samples', () => {
    const cache = readCache('full.json');
    expect(cache.version).to.equal(1);
    expect(cache.samples).to.equal(8);
    expect(cache.model.name).to.equal('fr_feature.onnx');
    expect(cache.model.sha256).to.equal(crypto.createHash('sha256').update(fs.readFileSync(FR_FEATURE)).digest('hex'));
    expect(cache.generator).to.deep.include({ kind: 'faces', seed: '0', firstSample: 0 });
    expect(cache.tensors.size).to.be.above(50);
    expect(cache.tensors.has('input')).to.equal(true);
    for (const [name, stats] of cache.tensors) {
      expect(stats.histogram.count, name).to.be.above(0);
      expect(stats.minmax.batches, name).to.equal(8);
      expect(stats.minmax.min, name).to.be.at.most(stats.minmax.max);
    }
    // The input is arcface-normalised faces.
    const input = cache.tensors.get('input')!;
    expect(input.minmax.min).to.be.at.least(-1);
    expect(input.minmax.max).to.be.at.most(1);
  });

  it('two shards merged with --merge equal a single run, tensor by tensor (bins and counts)', async () => {
    const r = await runs.get('merge')!;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/merged 2 caches \(8 samples, \d+ tensors\)/);
    const merged = readCache('merged.json');
    const full = readCache('full.json');
    const shard1 = readCache('shard1.json');
    expect(merged.samples).to.equal(8);
    expect(merged.model).to.deep.equal(full.model);
    expect([...merged.tensors.keys()].sort()).to.deep.equal([...full.tensors.keys()].sort());
    for (const [name, f] of full.tensors) {
      const m = merged.tensors.get(name)!.toJSON();
      const want = f.toJSON();
      // The histograms are the same: grid, bins, counts and extremes exactly; the sums up to rounding.
      const { sum, sumOfSquares, ...exact } = m.histogram;
      const { sum: wantSum, sumOfSquares: wantSquares, ...wantExact } = want.histogram;
      expect(exact, name).to.deep.equal(wantExact);
      expect(sum, name).to.be.closeTo(wantSum, 1e-9 * Math.max(1, Math.abs(wantSum)));
      expect(sumOfSquares, name).to.be.closeTo(wantSquares, 1e-9 * Math.max(1, wantSquares));
      // Global extremes and batch counts exactly, moving averages up to rounding.
      const { movingMin, movingMax, ...exactMinMax } = m.minmax;
      const { movingMin: wantMin, movingMax: wantMax, ...wantExactMinMax } = want.minmax;
      expect(exactMinMax, name).to.deep.equal(wantExactMinMax);
      expect(movingMin!, name).to.be.closeTo(wantMin!, 1e-9);
      expect(movingMax!, name).to.be.closeTo(wantMax!, 1e-9);
      // Not vacuous: a shard alone is not the whole.
      expect(shard1.tensors.get(name)!.histogram.count, name).to.equal(f.histogram.count / 2);
    }
  });

  it('compile --calibration-cache uses the cache instead of calibrating', async () => {
    const r = await runs.get('compile')!;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/calibrated on 8 faces samples/);
    const report = JSON.parse(fs.readFileSync(file('report.json'), 'utf8'));
    expect(report.calibration.samples).to.equal(8);
    // The calibrate pass only checked that the cache covers the model: no model run, no samples.
    const pass = report.passes.find((p: { name: string }) => p.name === 'calibrate');
    expect(pass.stats).to.deep.equal({ 'cached-tensors': readCache('full.json').tensors.size });
    // So calibration takes no time in the stage list (8 real samples take ~0.5 s).
    const stage = report.stages.find((s: { name: string }) => s.name === 'calibrate');
    expect(stage?.ms ?? 0).to.be.below(100);
    expect(fs.existsSync(file('q.onnx'))).to.equal(true);
  });

  it('compile rejects a cache made for another model, in one line', async () => {
    expectOneLineError(await runs.get('otherModel')!, /calibration cache '.*other\.json' was made for another model \(other\.onnx\)/);
    expect(fs.existsSync(file('q2.onnx'))).to.equal(false);
  });

  it('--merge refuses caches of different models, in one line', async () => {
    expectOneLineError(await runs.get('mergeOtherModel')!, /different models/);
  });

  describe('bad input: one-line errors', () => {
    for (const [name, [, pattern]] of Object.entries(BAD_INPUT)) it(name, async () => expectOneLineError(await runs.get(name)!, pattern));

    it('no failed run wrote its output', async () => {
      await Promise.all(runs.values());
      for (const out of ['m.json', 'q2.onnx', 'q3.onnx', 'g.json', 'bad-merge.json']) expect(fs.existsSync(file(out)), out).to.equal(false);
    });
  });
});
