// A helper thread of addABtInParallel: runs the bands it is sent and
// reports through the signal word, where the caller is waiting.

import { parentPort, workerData } from 'node:worker_threads';
import { addABt } from './gptq-gemm.ts';
import { HelperSignal, type HelperTask } from './gptq-gemm-pool.ts';

if (parentPort === null) throw new Error('gptq-gemm-worker.ts runs only as a worker thread');

parentPort.on('message', ({ updates, signal }: HelperTask) => {
  let status: number = HelperSignal.ready;
  try {
    for (const update of updates) addABt(update);
  } catch {
    status = HelperSignal.taskFailed;
  }
  Atomics.store(signal, 0, status);
  Atomics.notify(signal, 0);
});

Atomics.store((workerData as { signal: Int32Array }).signal, 0, HelperSignal.ready);
