import { expect } from 'chai';
import fc from 'fast-check';
import { RunningMinMax } from './running-minmax.ts';

const batchRange = fc
  .tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 0, max: 1e3, noNaN: true }))
  .map(([lo, width]) => [lo, lo + width] as const);

function feed(batches: ReadonlyArray<readonly [number, number]>, momentum = 0.9): RunningMinMax {
  const r = new RunningMinMax(momentum);
  for (const [lo, hi] of batches) r.observeBatch(lo, hi);
  return r;
}

describe('RunningMinMax', () => {
  it('averages batch extremes with momentum, seeded by the first batch', () => {
    const r = feed([
      [-1, 1],
      [-3, 5],
    ]);
    expect(r.movingMin).to.be.closeTo(0.9 * -1 + 0.1 * -3, 1e-15);
    expect(r.movingMax).to.be.closeTo(0.9 * 1 + 0.1 * 5, 1e-15);
    expect([r.min, r.max, r.batches]).to.deep.equal([-3, 5, 2]);
  });

  it('takes batch extremes from values, ignoring NaN and infinities', () => {
    const r = new RunningMinMax();
    r.observe(Float32Array.from([NaN, 2, -Infinity, -1, Infinity]));
    r.observe(Float32Array.from([NaN]));
    expect([r.min, r.max, r.batches]).to.deep.equal([-1, 2, 1]);
  });

  it('merges as concatenation: a then b equals feeding both in sequence', () => {
    fc.assert(
      fc.property(fc.array(batchRange, { maxLength: 20 }), fc.array(batchRange, { maxLength: 20 }), (first, second) => {
        const merged = feed(first).merge(feed(second));
        const sequential = feed([...first, ...second]);
        expect(merged.batches).to.equal(sequential.batches);
        expect(merged.min).to.equal(sequential.min);
        expect(merged.max).to.equal(sequential.max);
        if (sequential.batches > 0) {
          expect(merged.movingMin).to.be.closeTo(sequential.movingMin, 1e-9);
          expect(merged.movingMax).to.be.closeTo(sequential.movingMax, 1e-9);
        }
      }),
    );
  });

  it('merges associatively', () => {
    fc.assert(
      fc.property(fc.array(batchRange, { maxLength: 8 }), fc.array(batchRange, { maxLength: 8 }), fc.array(batchRange, { maxLength: 8 }), (a, b, c) => {
        const left = feed(a).merge(feed(b)).merge(feed(c));
        const right = feed(a).merge(feed(b).merge(feed(c)));
        expect(left.toJSON().batches).to.equal(right.toJSON().batches);
        if (left.batches > 0) expect(left.movingMax).to.be.closeTo(right.movingMax, 1e-9);
      }),
    );
  });

  it('round-trips through JSON text exactly', () => {
    fc.assert(
      fc.property(fc.array(batchRange, { maxLength: 10 }), (batches) => {
        const r = feed(batches, 0.99);
        const back = RunningMinMax.fromJSON(JSON.parse(JSON.stringify(r)));
        expect(back.toJSON()).to.deep.equal(r.toJSON());
      }),
    );
  });

  it('rejects a missing field by name', () => {
    const json = feed([[0, 1]]).toJSON();
    expect(() => RunningMinMax.fromJSON({ ...json, movingMax: null }, 'tensors.t.minmax')).to.throw(/tensors\.t\.minmax\.movingMax/);
  });
});
