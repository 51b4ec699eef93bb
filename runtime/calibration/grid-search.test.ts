import { expect } from 'chai';
import { coarseToFineMinimum } from './grid-search.ts';

describe('coarseToFineMinimum', () => {
  it('finds the minimum of a 1-D and a 2-D bowl to high precision', () => {
    const [x] = coarseToFineMinimum(([t]) => (t - 0.123456) ** 2, [[0, 10]], 32, 5);
    expect(x).to.be.closeTo(0.123456, 1e-5);
    const [a, b] = coarseToFineMinimum(([p, q]) => (p + 1.5) ** 2 + 3 * (q - 0.7) ** 2, [[-4, 0], [0, 4]], 16, 6);
    expect(a).to.be.closeTo(-1.5, 1e-4);
    expect(b).to.be.closeTo(0.7, 1e-4);
  });

  it('keeps a degenerate axis fixed', () => {
    const [a, b] = coarseToFineMinimum(([p, q]) => p * p + (q - 2) ** 2, [[0, 0], [0, 5]], 16, 4);
    expect(a).to.equal(0);
    expect(b).to.be.closeTo(2, 1e-3);
  });
});
