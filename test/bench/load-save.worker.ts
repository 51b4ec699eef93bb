// One measurement of load-save.bench.ts, alone in a fresh process so that its
// peak RSS is its own: `baseline` only imports the modules, `load FILE` times
// loadModel, `save FILE OUT` loads untimed and times saveModel. Prints one
// JSON line.

import fs from 'node:fs';
import { loadModel } from '../../compiler/onnx/load.ts';
import { saveModel } from '../../compiler/onnx/save.ts';

export interface WorkerReport {
  seconds: number;
  /** Peak resident set size of this process, in bytes. */
  peakRssBytes: number;
}

/**
 * Not process.resourceUsage().maxRSS: Linux carries ru_maxrss over fork and
 * exec, so a child reports its parent's peak (the bench's, with the model it
 * built) whenever that is higher. VmHWM belongs to this address space alone.
 */
function peakRssBytes(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kilobytes = /^VmHWM:\s*(\d+) kB$/m.exec(status);
  if (!kilobytes) throw new Error('/proc/self/status has no VmHWM line');
  return Number(kilobytes[1]) * 1024;
}

function timed(work: () => unknown): number {
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const [mode, file, out] = process.argv.slice(2);
let seconds = 0;
if (mode === 'load') {
  seconds = timed(() => loadModel(file));
} else if (mode === 'save') {
  const model = loadModel(file);
  seconds = timed(() => saveModel(model, out));
} else if (mode !== 'baseline') {
  throw new Error(`unknown mode '${mode}': expected baseline, load or save`);
}
const report: WorkerReport = { seconds, peakRssBytes: peakRssBytes() };
console.log(JSON.stringify(report));
