// Start of a helper thread of addABtInParallel. Plain JavaScript because a
// worker does not inherit tsx's loader: this registers it, then loads the
// TypeScript entry, which announces itself ready. A failed start is
// reported in the signal word instead.

import { workerData } from 'node:worker_threads';

try {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./gptq-gemm-worker.ts');
} catch {
  Atomics.store(workerData.signal, 0, workerData.bootFailed);
}
