// Start of a helper thread of addABtInParallel. Plain JavaScript because a
// worker does not inherit tsx's loader: this registers it, then loads the
// TypeScript entry. A failed start is reported in the signal word, where
// the caller may be waiting.

import { workerData } from 'node:worker_threads';

try {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./gptq-gemm-worker.ts');
} catch {
  const signal = new Int32Array(workerData.signal);
  Atomics.store(signal, 0, workerData.bootFailed);
  Atomics.notify(signal, 0);
}
