import { expect } from 'chai';
import fc from 'fast-check';
import { quantizationGrid, squaredError, squaredErrorIntegral } from './quantization-grid.ts';

describe('quantizationGrid', () => {
  it('makes a symmetric grid of 2^(bits-1) - 1 steps each side', () => {
    expect(quantizationGrid({ min: -1, max: 3 }, 4, true)).to.deep.equal({ step: 3 / 7, lowest: -3, highest: 3 });
  });

  it('snaps the affine zero point so that 0 is a grid value, keeping 2^bits codes', () => {
    fc.assert(
      fc.property(fc.double({ min: -100, max: 0, noNaN: true }), fc.double({ min: 1e-3, max: 100, noNaN: true }), fc.integer({ min: 2, max: 16 }), (lo, hi, bits) => {
        const grid = quantizationGrid({ min: lo, max: hi }, bits, false);
        const zeroPoint = -grid.lowest / grid.step;
        expect(Math.abs(zeroPoint - Math.round(zeroPoint))).to.be.below(1e-6);
        expect((grid.highest - grid.lowest) / grid.step).to.be.closeTo(2 ** bits - 1, 1e-6);
        expect(Math.abs(grid.lowest - lo)).to.be.at.most(grid.step / 2 + 1e-9);
      }),
    );
  });
});

describe('squaredErrorIntegral', () => {
  it('equals a fine numerical integral of the pointwise squared error', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -4, max: 0, noNaN: true }),
        fc.double({ min: 0.1, max: 4, noNaN: true }),
        fc.integer({ min: 2, max: 8 }),
        fc.boolean(),
        fc.double({ min: -6, max: 6, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (lo, hi, bits, symmetric, u, length) => {
          const grid = quantizationGrid({ min: lo, max: hi }, bits, symmetric);
          const v = u + length;
          const n = 20000;
          let numeric = 0;
          for (let i = 0; i < n; i++) numeric += squaredError(grid, u + ((i + 0.5) * length) / n);
          numeric *= length / n;
          const exact = squaredErrorIntegral(grid, u, v);
          expect(exact).to.be.closeTo(numeric, 1e-4 * Math.max(1, numeric));
        },
      ),
      { numRuns: 200 },
    );
  });
});
