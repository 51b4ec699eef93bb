import { expect } from 'chai';
import fc from 'fast-check';
import { Rng } from '../generators/rng.ts';
import { StreamingHistogram, chooseExponent, type StreamingHistogramJSON } from './streaming-histogram.ts';

// Everything but the float sums, which depend on addition order.
function exactPart(h: StreamingHistogram): Omit<StreamingHistogramJSON, 'sum' | 'sumOfSquares'> {
  const { sum: _sum, sumOfSquares: _sumOfSquares, ...rest } = h.toJSON();
  return rest;
}

function expectSameHistogram(actual: StreamingHistogram, expected: StreamingHistogram, magnitude: number): void {
  expect(exactPart(actual)).to.deep.equal(exactPart(expected));
  expect(Array.from(actual.binEdges())).to.deep.equal(Array.from(expected.binEdges()));
  expect(Array.from(actual.binCounts())).to.deep.equal(Array.from(expected.binCounts()));
  const tolerance = 1e-9 * magnitude;
  expect(Math.abs(actual.sum - expected.sum)).to.be.at.most(tolerance);
}

function splitAt(values: Float32Array, cuts: number[]): Float32Array[] {
  const points = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort((a, b) => a - b);
  const parts: Float32Array[] = [];
  let from = 0;
  for (const p of [...points, values.length]) {
    parts.push(values.slice(from, p));
    from = p;
  }
  return parts;
}

function oneShot(values: Float32Array, maxBins?: number): StreamingHistogram {
  const h = new StreamingHistogram(maxBins);
  h.add(values);
  return h;
}

function sumOfMagnitudes(values: Float32Array): number {
  let s = 0;
  for (const v of values) if (Number.isFinite(v)) s += Math.abs(v);
  return s;
}

// Floats from every regime: full float32 range with NaN/Inf/-0/subnormals,
// and clustered data where the grid is fine and re-binning happens often.
const anyFloat = fc.float();
const clusteredFloat = fc.oneof(
  fc.float({ min: -4, max: 4, noNaN: true }),
  fc.float({ min: Math.fround(0.999), max: Math.fround(1.001), noNaN: true }),
  fc.float({ min: Math.fround(-1e-38), max: Math.fround(1e-38), noNaN: true }),
  fc.constant(0),
  fc.constant(-0),
);
const floatArrays = fc.oneof(
  fc.array(anyFloat, { maxLength: 300 }),
  fc.array(clusteredFloat, { maxLength: 300 }),
).map((xs) => Float32Array.from(xs));

describe('StreamingHistogram', () => {
  it('gives exactly the one-shot histogram for any batch split and batch order', () => {
    fc.assert(
      fc.property(floatArrays, fc.array(fc.nat(), { maxLength: 12 }), fc.integer(), fc.constantFrom(2, 3, 16, 2048), (values, cuts, seed, maxBins) => {
        const batches = new Rng(seed).shuffle(splitAt(values, cuts));
        const streamed = new StreamingHistogram(maxBins);
        for (const batch of batches) streamed.add(batch);
        expectSameHistogram(streamed, oneShot(values, maxBins), sumOfMagnitudes(values));
      }),
      { numRuns: 400 },
    );
  });

  it('merges shards into exactly the single-run histogram, in any merge order', () => {
    fc.assert(
      fc.property(floatArrays, fc.array(fc.nat(), { maxLength: 8 }), fc.integer(), (values, cuts, seed) => {
        const rng = new Rng(seed);
        const shards = splitAt(values, cuts).map((part) => oneShot(part, 64));
        const merged = rng.shuffle(shards).reduce((acc, shard) => acc.merge(shard), new StreamingHistogram(64));
        expectSameHistogram(merged, oneShot(values, 64), sumOfMagnitudes(values));
      }),
      { numRuns: 300 },
    );
  });

  it('puts every value in the bin of the canonical grid that contains it', () => {
    fc.assert(
      fc.property(floatArrays, (values) => {
        const h = oneShot(values, 32);
        const finite = Array.from(values).filter(Number.isFinite);
        if (finite.length === 0) {
          expect(h.numberOfBins).to.equal(0);
          return;
        }
        const edges = h.binEdges();
        const expected = new Array<number>(h.numberOfBins).fill(0);
        for (const x of finite) {
          const j = Math.floor(x / h.binWidth) - h.firstBinIndex;
          expect(x).to.be.at.least(edges[j]).and.below(edges[j + 1]);
          expected[j]++;
        }
        expect(Array.from(h.binCounts())).to.deep.equal(expected);
        expect(h.binExponent).to.equal(chooseExponent(h.min, h.max, 32));
        expect(h.numberOfBins).to.be.at.most(32);
        expect(h.count).to.equal(finite.length);
        expect(h.nan + h.positiveInfinity + h.negativeInfinity).to.equal(values.length - finite.length);
      }),
      { numRuns: 300 },
    );
  });

  it('uses the finest grid that fits: one exponent less would need more than maxBins bins', () => {
    const h = oneShot(Float32Array.from([-3, -1.5, 0, 2.25, 7]), 64);
    const e = h.binExponent;
    const binsAt = (exp: number) => Math.floor(7 / 2 ** exp) - Math.floor(-3 / 2 ** exp) + 1;
    expect(binsAt(e)).to.be.at.most(64);
    expect(binsAt(e - 1)).to.be.above(64);
  });

  it('round-trips through JSON text exactly', () => {
    fc.assert(
      fc.property(floatArrays, (values) => {
        const h = oneShot(values, 128);
        const text = JSON.stringify(h.toJSON());
        const back = StreamingHistogram.fromJSON(JSON.parse(text));
        expect(back.toJSON()).to.deep.equal(h.toJSON());
        expect(JSON.stringify(back.toJSON())).to.equal(text);
        // and it keeps accumulating like the original
        const more = Float32Array.from([100, -0.5]);
        back.add(more);
        h.add(more);
        expect(back.toJSON()).to.deep.equal(h.toJSON());
      }),
      { numRuns: 200 },
    );
  });

  it('tracks count, min, max, mean, variance, zeros, NaN and infinities', () => {
    const h = new StreamingHistogram();
    h.add(Float32Array.from([1, 2, NaN, 0, -0, Infinity, 3, -Infinity, NaN]));
    h.add(Float32Array.from([-2]));
    expect([h.count, h.min, h.max, h.zeros, h.nan, h.positiveInfinity, h.negativeInfinity]).to.deep.equal([6, -2, 3, 2, 2, 1, 1]);
    expect(h.mean).to.be.closeTo(4 / 6, 1e-12);
    expect(h.variance).to.be.closeTo(18 / 6 - (4 / 6) ** 2, 1e-12);
    expect(Object.is(h.max, 3) && Object.is(oneShot(Float32Array.from([-0, 0])).min, 0)).to.equal(true);
  });

  it('handles constant, all-zero, subnormal and huge tensors', () => {
    const constant = oneShot(new Float32Array(1000).fill(0.7));
    expect(constant.numberOfBins).to.equal(1);
    expect(constant.binEdges()[0]).to.be.at.most(Math.fround(0.7));
    expect(constant.binEdges()[1]).to.be.above(Math.fround(0.7));

    const zeros = oneShot(new Float32Array(1000));
    expect([zeros.numberOfBins, zeros.zeros, zeros.min, zeros.max]).to.deep.equal([1, 1000, 0, 0]);

    const subnormal = oneShot(Float32Array.from([1e-45, 3e-45, -2e-44, 0]));
    expect(subnormal.binWidth).to.equal(2 ** -149);
    expect(Array.from(subnormal.binCounts()).reduce((a, b) => a + b)).to.equal(4);

    const maxF32 = 3.4028234663852886e38;
    const huge = oneShot(Float32Array.from([maxF32, -maxF32, 1, -1]));
    expect(huge.numberOfBins).to.be.at.most(2048);
    expect(huge.count).to.equal(4);
    const edges = huge.binEdges();
    expect(edges[0]).to.be.at.most(-maxF32);
    expect(edges[edges.length - 1]).to.be.above(maxF32);

    const grown = oneShot(Float32Array.from([1e-40]));
    grown.add(Float32Array.from([3e38]));
    expect(exactPart(grown)).to.deep.equal(exactPart(oneShot(Float32Array.from([1e-40, 3e38]))));
  });

  it('does not grow with the number of samples fed', () => {
    const rng = new Rng('memory');
    const batch = () => Float32Array.from({ length: 10000 }, () => rng.normal(0, 1));
    const h = new StreamingHistogram();
    // Pin the range so that both sizes describe the same grid.
    h.add(Float32Array.from([-8, 8]));
    for (let i = 0; i < 4; i++) h.add(batch());
    const sizeAt1x = JSON.stringify(h.toJSON()).length;
    const edgesAt1x = Array.from(h.binEdges());
    for (let i = 0; i < 28; i++) h.add(batch());
    const sizeAt8x = JSON.stringify(h.toJSON()).length;
    expect(h.count).to.equal(320002);
    expect(Array.from(h.binEdges())).to.deep.equal(edgesAt1x);
    // What grows is the digits of the counts (log of the sample count) and
    // the filling of empty tail bins, both bounded by the bin count.
    expect(sizeAt8x / sizeAt1x).to.be.below(1.5);
    const widestCount = String(Math.max(...h.binCounts())).length;
    expect(sizeAt8x).to.be.below(400 + h.numberOfBins * (widestCount + 1));
  });

  it('rejects a JSON histogram whose grid is not canonical, naming the field', () => {
    const json = oneShot(Float32Array.from([0.5, 1, 2])).toJSON();
    expect(() => StreamingHistogram.fromJSON({ ...json, binExponent: json.binExponent - 1 }, 'tensors.x.histogram')).to.throw(
      /tensors\.x\.histogram\.binExponent/,
    );
    expect(() => StreamingHistogram.fromJSON({ ...json, count: 4 })).to.throw(/histogram\.count/);
    expect(() => StreamingHistogram.fromJSON({ ...json, counts: [1, -5000] })).to.throw(/histogram\.counts/);
  });

  it('refuses to merge histograms of different resolution', () => {
    expect(() => new StreamingHistogram(64).merge(new StreamingHistogram(128))).to.throw(/maxBins/);
  });
});
