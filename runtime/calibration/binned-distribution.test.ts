import { expect } from 'chai';
import fc from 'fast-check';
import { coarsened, distributionOf, magnitudeGridCounts, quantile, signedGridCounts } from './binned-distribution.ts';
import { StreamingHistogram } from './streaming-histogram.ts';

function histogramOf(values: number[], maxBins?: number): StreamingHistogram {
  const h = new StreamingHistogram(maxBins);
  h.add(Float32Array.from(values));
  return h;
}

const data = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e4, max: 1e4 }), { minLength: 1, maxLength: 200 });

describe('binned distribution', () => {
  it('folds the histogram of x into the histogram of |x| on the same grid', () => {
    fc.assert(
      fc.property(data, (values) => {
        const h = histogramOf(values, 64);
        const folded = magnitudeGridCounts(h);
        const expected = new Map<number, number>();
        for (const x of Float32Array.from(values)) {
          // |x| = -k*w for a negative bin edge belongs to the folded bin below it
          const k = x >= 0 ? Math.floor(x / h.binWidth) : Math.ceil(-x / h.binWidth) - 1;
          expected.set(k, (expected.get(k) ?? 0) + 1);
        }
        folded.counts.forEach((c, j) => expect(c).to.equal(expected.get(folded.first + j) ?? 0));
        expect(folded.highest).to.equal(Math.max(-h.min, h.max));
      }),
    );
  });

  it('coarsens exactly: a 4096-bin histogram brought to 2048 bins is the 2048-bin histogram', () => {
    fc.assert(
      fc.property(data, (values) => {
        const fine = coarsened(signedGridCounts(histogramOf(values, 4096)), 2048);
        const direct = signedGridCounts(histogramOf(values, 2048));
        expect([fine.width, fine.first, Array.from(fine.counts)]).to.deep.equal([direct.width, direct.first, Array.from(direct.counts)]);
      }),
    );
  });

  it('reads quantiles from the exact extremes and interpolates inside bins', () => {
    const d = distributionOf(signedGridCounts(histogramOf([-1.3, 0, 0.25, 0.5, 2.7])));
    expect(quantile(d, 0)).to.equal(Math.fround(-1.3));
    expect(quantile(d, 1)).to.equal(Math.fround(2.7));
    const uniform = distributionOf(signedGridCounts(histogramOf(Array.from({ length: 10001 }, (_, i) => i / 10000))));
    expect(quantile(uniform, 0.25)).to.be.closeTo(0.25, 1e-3);
  });

  it('turns a constant tensor into a point mass', () => {
    const d = distributionOf(magnitudeGridCounts(histogramOf([-0.75, -0.75])));
    expect([d.lower[0], d.upper[0], d.total]).to.deep.equal([0.75, 0.75, 2]);
  });
});
