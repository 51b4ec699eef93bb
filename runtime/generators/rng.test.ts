import { expect } from 'chai';
import { Rng } from './rng.ts';

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(7), b = new Rng(7), c = new Rng(8);
    const sa = Array.from({ length: 16 }, () => a.nextUint32());
    const sb = Array.from({ length: 16 }, () => b.nextUint32());
    const sc = Array.from({ length: 16 }, () => c.nextUint32());
    expect(sa).to.deep.equal(sb);
    expect(sa).to.not.deep.equal(sc);
  });

  it('forks streams that do not depend on how much the parent drew afterwards', () => {
    const a = new Rng('x'), b = new Rng('x');
    const fa = a.fork('identity');
    b.fork('identity');
    const fb = new Rng('x').fork('identity');
    a.next(); a.next();
    expect(fa.next()).to.equal(fb.next());
  });

  it('draws normals with mean 0 and std 1', () => {
    const r = new Rng(1);
    let s = 0, s2 = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) { const z = r.normal(); s += z; s2 += z * z; }
    expect(Math.abs(s / n)).to.be.below(0.01);
    expect(Math.abs(Math.sqrt(s2 / n) - 1)).to.be.below(0.01);
  });
});
