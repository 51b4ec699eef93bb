import { Rng } from '../../runtime/generators/rng.ts';
import { gptqQuantize } from './gptq.ts';
import { choleskyLowerInPlace } from './gptq-cholesky.ts';
import { sharedFloat64Array } from './gptq-gemm-pool.ts';
const rows = 512, cols = 4608;
const rng = new Rng(1);
const f = 64; const B = Float64Array.from({length: f*cols}, () => rng.normal());
const H = new Float64Array(cols*cols);
for (let i = 0; i < cols; i++) for (let j = 0; j <= i; j++) { let s = 0; for (let k = 0; k < f; k++) s += B[i*f+k]*B[j*f+k]; H[i*cols+j] = H[j*cols+i] = s + (i === j ? 1 : 0); }
const W = Float64Array.from({length: rows*cols}, () => rng.normal(0, 0.05));
const scale = new Float64Array(rows).fill(0.02), zp = new Float64Array(rows);
for (let rep = 0; rep < 1; rep++) {
  const work = sharedFloat64Array(cols*cols); work.set(H);
  let t = performance.now(); let u = process.cpuUsage();
  choleskyLowerInPlace(work, cols);
  let c = process.cpuUsage(u);
  console.log('cholesky', ((performance.now()-t)/1000).toFixed(2), 's cpu', ((c.user+c.system)/1e6).toFixed(2));
  t = performance.now(); u = process.cpuUsage();
  gptqQuantize(W, H, { scale, zeroPoint: zp, qmin: -8, qmax: 7 }, {});
  c = process.cpuUsage(u);
  console.log('gptq', ((performance.now()-t)/1000).toFixed(2), 's cpu', ((c.user+c.system)/1e6).toFixed(2));
}
