import { Worker } from 'node:worker_threads';
const tsxApi = import.meta.resolve('tsx/esm/api');
const entry = new URL('./gptq-gemm-worker.ts', import.meta.url).href;
const signal = new Int32Array(new SharedArrayBuffer(4));
const w = new Worker(`import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); }).then(() => console.log('booted')).catch((e) => console.log('boot failed', e))`, { eval: true, workerData: signal.buffer });
w.on('error', (e) => console.log('err', e));
w.on('exit', (c) => console.log('exit', c));
