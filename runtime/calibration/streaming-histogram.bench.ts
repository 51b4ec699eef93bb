// Throughput of StreamingHistogram.add, the call made on every activation of
// every calibration sample. Run: node --import tsx runtime/calibration/streaming-histogram.bench.ts

import { Rng } from '../generators/rng.ts';
import { StreamingHistogram } from './streaming-histogram.ts';

const TOTAL = 1 << 26;

function measure(label: string, batchSize: number, fill: (rng: Rng) => number): void {
  const rng = new Rng(label);
  const batch = Float32Array.from({ length: batchSize }, () => fill(rng));
  const h = new StreamingHistogram();
  h.add(batch); // warm-up, and settles the grid
  const rounds = Math.max(1, Math.round(TOTAL / batchSize));
  const start = performance.now();
  for (let r = 0; r < rounds; r++) h.add(batch);
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(40)} ${((rounds * batchSize) / seconds / 1e6).toFixed(0).padStart(5)} M values/s`);
}

measure('gaussian, 4M-value batches', 1 << 22, (rng) => rng.normal(0, 1));
measure('gaussian, 64k-value batches', 1 << 16, (rng) => rng.normal(0, 1));
measure('gaussian, 1k-value batches', 1 << 10, (rng) => rng.normal(0, 1));
measure('post-ReLU (half exact zeros), 4M batches', 1 << 22, (rng) => Math.max(0, rng.normal(0, 1)));
measure('with 1% NaN, 4M batches', 1 << 22, (rng) => (rng.next() < 0.01 ? NaN : rng.normal(0, 1)));

// A range that keeps growing: every batch forces a re-bin.
{
  const rng = new Rng('growing');
  const batches = Array.from({ length: 64 }, (_, k) => Float32Array.from({ length: 1 << 20 }, () => rng.normal(0, 1.1 ** k)));
  const h = new StreamingHistogram();
  const start = performance.now();
  for (const b of batches) h.add(b);
  const seconds = (performance.now() - start) / 1000;
  console.log(`${'growing range, 1M batches'.padEnd(40)} ${((64 << 20) / seconds / 1e6).toFixed(0).padStart(5)} M values/s`);
}
