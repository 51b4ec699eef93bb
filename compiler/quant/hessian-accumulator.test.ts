import { expect } from 'chai';
import { Rng } from '../../runtime/generators/rng.ts';
import { HessianAccumulator } from './hessian-accumulator.ts';

function samples(rng: Rng, n: number, cols: number): Float32Array {
  return Float32Array.from({ length: n * cols }, () => rng.normal());
}

function naiveGram(x: Float32Array, cols: number): Float64Array {
  const h = new Float64Array(cols * cols);
  for (let s = 0; s < x.length / cols; s++) {
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) h[i * cols + j] += x[s * cols + i] * x[s * cols + j];
  }
  return h;
}

describe('HessianAccumulator', () => {
  it('sums x x^T over batches of any size, across its internal chunks', () => {
    const rng = new Rng(1);
    for (const cols of [1, 7, 12]) {
      const x = samples(rng, 300, cols);
      const accumulator = new HessianAccumulator(cols);
      for (const [from, to] of [[0, 1], [1, 130], [130, 300]]) accumulator.addBatch(x.subarray(from * cols, to * cols));
      expect(accumulator.count).to.equal(300);
      const expected = naiveGram(x, cols);
      const h = accumulator.hessian();
      for (let k = 0; k < h.length; k++) expect(h[k]).to.be.closeTo(expected[k], 1e-9);
      const mean = accumulator.hessian({ average: true });
      for (let k = 0; k < h.length; k++) expect(mean[k]).to.be.closeTo(expected[k] / 300, 1e-12);
    }
  });

  it('merging the accumulators of two halves gives the accumulator of the whole', () => {
    const rng = new Rng(2);
    const cols = 9;
    const x = samples(rng, 500, cols);
    const whole = new HessianAccumulator(cols);
    whole.addBatch(x);
    const first = new HessianAccumulator(cols), second = new HessianAccumulator(cols);
    first.addBatch(x.subarray(0, 211 * cols));
    second.addBatch(x.subarray(211 * cols));
    first.merge(second);
    expect(first.count).to.equal(whole.count);
    const merged = first.hessian(), expected = whole.hessian();
    for (let k = 0; k < merged.length; k++) expect(merged[k]).to.be.closeTo(expected[k], 1e-12 * Math.abs(expected[k]) + 1e-12);
  });

  it('returns a symmetric matrix, zeros before any sample, and rejects mismatched shapes', () => {
    const accumulator = new HessianAccumulator(5);
    expect(Array.from(accumulator.hessian({ average: true }))).to.deep.equal(new Array(25).fill(0));
    accumulator.addBatch(samples(new Rng(3), 4, 5));
    const h = accumulator.hessian();
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(h[i * 5 + j]).to.equal(h[j * 5 + i]);
    expect(() => accumulator.addBatch(new Float32Array(7))).to.throw(/multiple of 5/);
    expect(() => accumulator.merge(new HessianAccumulator(4))).to.throw(/merge/);
  });
});
