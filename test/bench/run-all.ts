// npm run bench: every benchmark, one after the other. Each prints its own
// table (medians and ratios from one run). The long accuracy tables run with
// `npm run bench -- accuracy` (they compile dozens of models).

import { main as loadSave } from './load-save.bench.ts';
import { main as latency } from './quantized-latency.bench.ts';
import { main as calibration } from './calibration.bench.ts';
import { main as web } from './web-latency.bench.ts';
import { aims, emission, passes, schemes } from './accuracy.bench.ts';

const which = new Set(process.argv.slice(2));
const all = which.size === 0;
if (all || which.has('load-save')) await loadSave();
if (all || which.has('latency')) await latency();
if (all || which.has('calibration')) await calibration();
if (all || which.has('web')) await web();
if (which.has('accuracy')) {
  await schemes();
  await passes();
  await aims();
  await emission();
}
