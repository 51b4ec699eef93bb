// How fast quantface reads and writes a large model, and how much memory a
// load takes: IResNet-100 with random weights (~260 MB). Every measurement
// runs in a fresh child process so that its peak RSS is its own; the RSS of a
// child that only imports the modules is subtracted. The file sits in the
// page cache, so the figures are the CPU cost, not the disk's.
//
// Aims: load >= 500 MB/s, peak load memory < 2x the file size.
//
//   node --import tsx test/bench/load-save.bench.ts

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Model } from '../../compiler/ir/model.ts';
import { loadModel } from '../../compiler/onnx/load.ts';
import { saveModel, serializeModel } from '../../compiler/onnx/save.ts';
import { Rng } from '../../runtime/generators/rng.ts';
import { createSession, ort, run } from '../../runtime/session.ts';
import { buildIResNet } from '../builders/iresnet.ts';
import type { WorkerReport } from './load-save.worker.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./load-save.worker.ts', import.meta.url));
const RUNS = 3;
const MB = 1e6;

export interface LoadSaveResult {
  fileBytes: number;
  loadMBps: number;
  saveMBps: number;
  /** Peak RSS of a load above the baseline, divided by the file size. */
  loadPeakMemoryRatio: number;
}

export async function main(): Promise<LoadSaveResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantface-load-save-'));
  try {
    const file = path.join(dir, 'iresnet100.onnx');
    const built = buildIResNet(100, { seed: 1 });
    saveModel(built, file);
    const fileBytes = fs.statSync(file).size;

    const baseline = median(repeat(() => runWorker('baseline').peakRssBytes));
    const loads = repeat(() => runWorker('load', file));
    const saves = repeat(() => runWorker('save', file, path.join(dir, 'resaved.onnx')));
    const result: LoadSaveResult = {
      fileBytes,
      loadMBps: fileBytes / MB / median(loads.map((r) => r.seconds)),
      saveMBps: fileBytes / MB / median(saves.map((r) => r.seconds)),
      loadPeakMemoryRatio: (median(loads.map((r) => r.peakRssBytes)) - baseline) / fileBytes,
    };

    await expectSameEmbedding(built, file);
    expectByteExactRoundTrip(file, path.join(dir, 'round-trip.onnx'));
    printTable(result);
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runWorker(...args: string[]): WorkerReport {
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return JSON.parse(stdout.trim().split('\n').pop()!) as WorkerReport;
}

/** The loaded model runs in onnxruntime and computes what the built one does, bit for bit. */
async function expectSameEmbedding(built: Model, file: string): Promise<void> {
  const rng = new Rng(5);
  const pixels = Float32Array.from({ length: 3 * 112 * 112 }, () => rng.uniform(-1, 1));
  const embed = async (source: Parameters<typeof createSession>[0]) => {
    const outputs = await run(await createSession(source, { optimization: 'disabled' }), { input: new ort.Tensor('float32', pixels, [1, 3, 112, 112]) });
    return outputs.embedding.data as Float32Array;
  };
  const expected = await embed(built);
  const actual = await embed(loadModel(file));
  if (!actual.every(Number.isFinite)) throw new Error('the loaded IResNet-100 gives a non-finite embedding');
  if (!actual.every((v, i) => v === expected[i])) throw new Error('the loaded IResNet-100 computes a different embedding than the built one');
}

/** load -> save -> load writes the very bytes it read. */
function expectByteExactRoundTrip(file: string, copy: string): void {
  const original = fs.readFileSync(file);
  saveModel(loadModel(file), copy);
  const resaved = fs.readFileSync(copy);
  if (!original.equals(resaved)) throw new Error('saving a loaded model changes its bytes');
  if (!resaved.equals(serializeModel(loadModel(copy)))) throw new Error('serializing a reloaded model changes its bytes');
}

function printTable(r: LoadSaveResult): void {
  const rows = [
    ['model', 'file size', `load (median of ${RUNS})`, `save (median of ${RUNS})`, 'peak load memory'],
    ['IResNet-100', `${(r.fileBytes / MB).toFixed(1)} MB`, `${r.loadMBps.toFixed(0)} MB/s`, `${r.saveMBps.toFixed(0)} MB/s`, `${r.loadPeakMemoryRatio.toFixed(2)}x file size`],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log([line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, line(rows[1])].join('\n'));
  console.log(`aims: load >= 500 MB/s (${r.loadMBps >= 500 ? 'met' : 'missed'}), peak load memory < 2x (${r.loadPeakMemoryRatio < 2 ? 'met' : 'missed'})`);
}

function repeat<T>(measure: () => T): T[] {
  return Array.from({ length: RUNS }, measure);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
