// Times GPTQ on the largest layer shape of IResNet (3x3 conv, 512 -> 512
// channels: 512 x 4608 weights) and compares its output error with
// round-to-nearest at 4 and 3 bits.
//   node --import tsx compiler/quant/gptq.bench.ts [cols] [rows]

import { Rng } from '../../runtime/generators/rng.ts';
import { addABtInParallel, sharedFloat64Array, threadCount } from './gptq-gemm-pool.ts';
import { roundToNearest, type QuantGrid } from './gptq-grid.ts';
import { gptqQuantize } from './gptq.ts';
import { HessianAccumulator } from './hessian-accumulator.ts';

const cols = Number(process.argv[2] ?? 4608);
const rows = Number(process.argv[3] ?? 512);
const samples = cols + 512;
const rng = new Rng('gptq-bench');

// Correlated inputs: 64 shared factors plus independent noise.
const factors = 64;
const mix = Float64Array.from({ length: factors * cols }, () => rng.normal());
const x = sharedFloat64Array(samples * cols);
const z = new Float64Array(factors);
for (let s = 0; s < samples; s++) {
  for (let k = 0; k < factors; k++) z[k] = rng.normal();
  for (let j = 0; j < cols; j++) {
    let v = rng.normal(0, 0.5);
    for (let k = 0; k < factors; k++) v += z[k] * mix[k * cols + j];
    x[s * cols + j] = v;
  }
}
const weights = Float64Array.from({ length: rows * cols }, () => rng.normal(0, 0.05));

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(2);

let t = performance.now();
const accumulator = new HessianAccumulator(cols);
accumulator.addBatch(x);
const hessian = accumulator.hessian({ average: true });
console.log(`Hessian of ${samples} samples x ${cols} features: ${seconds(t)} s on ${threadCount()} threads`);

// ||W X^T - Q X^T||_F^2
function outputError(dequantized: Float64Array): number {
  const delta = sharedFloat64Array(rows * cols);
  for (let k = 0; k < delta.length; k++) delta[k] = weights[k] - dequantized[k];
  const out = sharedFloat64Array(rows * samples);
  addABtInParallel({ a: delta, b: x, m: rows, n: samples, depth: cols, c: out, cOffset: 0, ldc: samples, alpha: 1, lowerOnly: false });
  return out.reduce((sum, v) => sum + v * v, 0);
}

for (const bits of [4, 3]) {
  const qmax = 2 ** (bits - 1) - 1;
  const scale = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) scale[r] = Math.max(scale[r], Math.abs(weights[r * cols + c]) / qmax);
  }
  const grid: QuantGrid = { scale, zeroPoint: new Float64Array(rows), qmin: -qmax - 1, qmax };
  const nearest = outputError(roundToNearest(weights, grid).dequantized);
  for (const actOrder of [false, true]) {
    t = performance.now();
    const { dequantized, stats } = gptqQuantize(weights, hessian, grid, { actOrder });
    const time = seconds(t);
    const ratio = outputError(dequantized) / nearest;
    console.log(`${bits} bits, ${rows} x ${cols}, actOrder ${actOrder}: ${time} s, output error / round-to-nearest = ${ratio.toFixed(3)}, damping increases ${stats.dampingIncreases}`);
  }
}
