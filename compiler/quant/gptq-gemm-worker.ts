// Entry of a helper thread of addABtInParallel: runs the bands it is sent
// and reports through the task's signal word, where the caller is waiting.

import { parentPort } from 'node:worker_threads';
import { addABt } from './gptq-gemm.ts';
import { HelperSignal, type HelperTask } from './gptq-gemm-pool.ts';

if (parentPort === null) throw new Error('gptq-gemm-worker.ts runs only as a worker thread');

parentPort.on('message', ({ updates, signal }: HelperTask) => {
  let status: number = HelperSignal.done;
  try {
    for (const update of updates) addABt(update);
  } catch {
    status = HelperSignal.taskFailed;
  }
  Atomics.store(signal, 0, status);
  Atomics.notify(signal, 0);
});
