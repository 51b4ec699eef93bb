// addABt on every core. Plain JS tops out near 2.5 G multiply-adds per
// second per thread, and a 4608-column layer needs 2e10 of them (Cholesky
// plus lazy updates), so the big products are split into bands of rows of C
// and the bands handed to helper threads, the calling thread taking one.
//
// The operands must live in SharedArrayBuffers (sharedFloat64Array) for a
// helper to write into them; anything else, small products, and the time
// before the helpers have started (~0.1 s after the first large product)
// run in the calling thread alone. Band edges fall on multiples of 4, so
// every entry of C goes through the same kernel path as in one thread: the
// result does not depend on the number of threads, bit for bit.
//
// The calling thread blocks in Atomics.wait until its helpers are done:
// callers are synchronous numeric code, and a helper needs nothing from the
// caller's event loop. It only waits on helpers that announced themselves
// ready, so a helper that never starts costs speed, never a hang.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { addABt, type ABtUpdate } from './gptq-gemm.ts';

/** States of a helper, in its signal word (Int32Array of length 1) shared with the caller. */
export const HelperSignal = { starting: 0, ready: 1, busy: 2, bootFailed: 3, taskFailed: 4 } as const;

export interface HelperTask {
  updates: ABtUpdate[];
  signal: Int32Array;
}

// A round trip to a helper costs ~0.1 ms; this much work takes ~2 ms.
const MIN_PARALLEL_MULTIPLY_ADDS = 1 << 22;
const MAX_HELPERS = 7;

interface Helper {
  worker: Worker;
  signal: Int32Array;
}

let helpers: Helper[] | undefined;

export function sharedFloat64Array(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/** Threads that a large product runs on now: the caller plus the helpers that are ready. */
export function threadCount(): number {
  return 1 + readyHelpers().length;
}

export function addABtInParallel(u: ABtUpdate): void {
  const multiplyAdds = (u.m * u.n * u.depth) / (u.lowerOnly ? 2 : 1);
  const shared = [u.a, u.b, u.c].every((x) => x.buffer instanceof SharedArrayBuffer);
  const pool = multiplyAdds >= MIN_PARALLEL_MULTIPLY_ADDS && shared ? readyHelpers() : [];
  const edges = bandEdges(u.m, pool.length + 1, u.lowerOnly);
  pool.forEach((helper, k) => {
    Atomics.store(helper.signal, 0, HelperSignal.busy);
    const task: HelperTask = { updates: bandUpdates(u, edges[k + 1], edges[k + 2]), signal: helper.signal };
    helper.worker.postMessage(task);
  });
  for (const band of bandUpdates(u, edges[0], edges[1])) addABt(band);
  for (const { signal } of pool) {
    while (Atomics.load(signal, 0) === HelperSignal.busy) Atomics.wait(signal, 0, HelperSignal.busy);
    if (Atomics.load(signal, 0) === HelperSignal.taskFailed) throw new Error('addABtInParallel: a helper thread failed on its band');
  }
}

function readyHelpers(): Helper[] {
  helpers ??= startHelpers();
  helpers = helpers.filter((h) => Atomics.load(h.signal, 0) !== HelperSignal.bootFailed);
  return helpers.filter((h) => Atomics.load(h.signal, 0) === HelperSignal.ready);
}

function startHelpers(): Helper[] {
  const count = Math.min(availableParallelism() - 1, MAX_HELPERS);
  const boot = new URL('./gptq-gemm-worker-boot.js', import.meta.url);
  return Array.from({ length: count }, () => {
    const signal = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(boot, { workerData: { signal, bootFailed: HelperSignal.bootFailed } });
    // Idle helpers must not keep the process alive, and one that fails to
    // start is simply never ready: no uncaught 'error' event for it.
    worker.unref();
    worker.on('error', () => {});
    return { worker, signal };
  });
}

// parts + 1 row indices from 0 to m, inner ones multiples of 4, splitting
// the work evenly: row i of a lower-triangular product costs i + 1.
function bandEdges(m: number, parts: number, lowerOnly: boolean): number[] {
  const edges = [0];
  for (let k = 1; k < parts; k++) {
    const share = lowerOnly ? Math.sqrt(k / parts) : k / parts;
    edges.push(Math.max(edges[k - 1], Math.floor((m * share) / 4) * 4));
  }
  edges.push(m);
  return edges;
}

// Rows [r0, r1) of C. Lower-triangular: the full block left of the band's
// diagonal, then the band's own triangle.
function bandUpdates(u: ABtUpdate, r0: number, r1: number): ABtUpdate[] {
  if (r1 === r0) return [];
  const { depth } = u;
  const a = u.a.subarray(r0 * depth, r1 * depth);
  const cOffset = u.cOffset + r0 * u.ldc;
  if (!u.lowerOnly) return [{ ...u, a, m: r1 - r0, cOffset }];
  const triangle: ABtUpdate = { ...u, a, b: u.b.subarray(r0 * depth, r1 * depth), m: r1 - r0, n: r1 - r0, cOffset: cOffset + r0 };
  if (r0 === 0) return [triangle];
  return [{ ...u, a, b: u.b.subarray(0, r0 * depth), m: r1 - r0, n: r0, cOffset, lowerOnly: false }, triangle];
}
