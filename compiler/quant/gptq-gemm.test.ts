import { availableParallelism } from 'node:os';
import { expect } from 'chai';
import { Rng } from '../../runtime/generators/rng.ts';
import { addABt, type ABtUpdate } from './gptq-gemm.ts';
import { addABtInParallel, sharedFloat64Array, threadCount } from './gptq-gemm-pool.ts';

function filled(array: Float64Array, rng: Rng): Float64Array {
  for (let k = 0; k < array.length; k++) array[k] = rng.normal();
  return array;
}

// C embedded in a wider matrix at (1, 2), so cOffset and ldc matter.
function product(m: number, n: number, depth: number, lowerOnly: boolean, allocate: (length: number) => Float64Array, seed = 1): ABtUpdate {
  const rng = new Rng(seed);
  const a = filled(allocate(m * depth), rng);
  const b = lowerOnly ? a : filled(allocate(n * depth), rng);
  const ldc = n + 3;
  const c = filled(allocate((m + 2) * ldc), rng);
  return { a, b, m, n, depth, c, cOffset: ldc + 2, ldc, alpha: -0.5, lowerOnly };
}

function naive(u: ABtUpdate): Float64Array {
  const c = u.c.slice();
  for (let i = 0; i < u.m; i++) {
    for (let j = 0; j < (u.lowerOnly ? i + 1 : u.n); j++) {
      let s = 0;
      for (let k = 0; k < u.depth; k++) s += u.a[i * u.depth + k] * u.b[j * u.depth + k];
      c[u.cOffset + i * u.ldc + j] += u.alpha * s;
    }
  }
  return c;
}

describe('addABt', () => {
  it('adds alpha * A B^T into C, and with lowerOnly touches nothing above the diagonal', () => {
    for (const [m, n, depth] of [[1, 1, 1], [5, 7, 3], [9, 6, 10], [8, 12, 4], [17, 17, 5]]) {
      for (const lowerOnly of [false, true]) {
        if (lowerOnly && m !== n) continue;
        const u = product(m, n, depth, lowerOnly, (length) => new Float64Array(length));
        const expected = naive(u);
        addABt(u);
        for (let k = 0; k < expected.length; k++) expect(u.c[k]).to.be.closeTo(expected[k], 1e-12);
      }
    }
  });

  it('gives the same bits on helper threads as in one thread', async () => {
    const threads = Math.min(availableParallelism(), 8);
    for (let waited = 0; threadCount() < threads && waited < 10000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(threadCount(), 'helper threads started').to.equal(threads);
    // Sizes above the parallel threshold and not multiples of 4.
    for (const [m, n, depth, lowerOnly] of [[402, 402, 64, true], [150, 231, 130, false]] as const) {
      const serial = product(m, n, depth, lowerOnly, (length) => new Float64Array(length), 2);
      const parallel = product(m, n, depth, lowerOnly, sharedFloat64Array, 2);
      addABt(serial);
      addABtInParallel(parallel);
      expect(parallel.c).to.deep.equal(serial.c);
    }
  });
});
