import { expect } from 'chai';
import { Rng } from '../generators/rng.ts';
import {
  OutputComparison,
  compareOutputs,
  cosineSimilarity,
  maxAbsError,
  meanAbsError,
  rowCosines,
  sqnrDb,
} from './output-metrics.ts';

const f32 = (values: number[]) => Float32Array.from(values);

function randomOutputs(rng: Rng, length: number): { reference: Float32Array; quantized: Float32Array } {
  const reference = Float32Array.from({ length }, () => rng.normal());
  const quantized = reference.map((x) => x + rng.normal(0, 0.05));
  return { reference, quantized };
}

describe('output metrics', () => {
  it('gives the cosine of known vectors', () => {
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).to.be.closeTo(1, 1e-15);
    expect(cosineSimilarity([1, 0], [0, 1])).to.equal(0);
    expect(cosineSimilarity([1, 0], [-1, 0])).to.equal(-1);
    expect(cosineSimilarity([3, 4], [4, 3])).to.be.closeTo(24 / 25, 1e-15);
  });

  it('defines the cosine of zero vectors: 1 when both are zero, 0 when one is', () => {
    expect(cosineSimilarity([0, 0], [0, 0])).to.equal(1);
    expect(cosineSimilarity([0, 0], [1, 2])).to.equal(0);
    expect(cosineSimilarity([1, 2], [0, 0])).to.equal(0);
  });

  it('takes one cosine per row of a batch', () => {
    const cosines = rowCosines(f32([1, 0, 3, 4]), f32([0, 1, 4, 3]), 2);
    expect(Array.from(cosines)).to.deep.equal([0, 24 / 25]);
  });

  it('gives max and mean absolute error of known vectors', () => {
    const reference = f32([1, -2, 3, 0]), quantized = f32([1.5, -2, 2, 0.25]);
    expect(maxAbsError(reference, quantized)).to.equal(1);
    expect(meanAbsError(reference, quantized)).to.equal((0.5 + 0 + 1 + 0.25) / 4);
  });

  it('gives SQNR in dB, infinite when identical', () => {
    // signal 3^2 + 4^2 = 25, noise 0.5^2 = 0.25: ratio 100, 20 dB.
    expect(sqnrDb(f32([3, 4]), f32([3, 3.5]))).to.be.closeTo(20, 1e-12);
    expect(sqnrDb(f32([3, 4]), f32([3, 4]))).to.equal(Infinity);
    expect(sqnrDb(f32([0, 0]), f32([0, 0]))).to.equal(Infinity);
    expect(sqnrDb(f32([0, 0]), f32([0, 1]))).to.equal(-Infinity);
  });

  it('streams batch by batch to the same summary as one shot', () => {
    const rng = new Rng('stream');
    const vectorLength = 8, batches = 5, rowsPerBatch = 3;
    const { reference, quantized } = randomOutputs(rng, vectorLength * rowsPerBatch * batches);
    const stream = new OutputComparison(vectorLength);
    const batchSize = vectorLength * rowsPerBatch;
    for (let start = 0; start < reference.length; start += batchSize) {
      stream.add(reference.subarray(start, start + batchSize), quantized.subarray(start, start + batchSize));
    }
    const streamed = stream.summary();
    const oneShot = compareOutputs(reference, quantized, vectorLength);
    const cosines = Array.from(rowCosines(reference, quantized, vectorLength));

    expect(streamed.vectors).to.equal(batches * rowsPerBatch);
    expect(streamed.elements).to.equal(reference.length);
    expect(streamed.meanCosine).to.be.closeTo(cosines.reduce((a, b) => a + b) / cosines.length, 1e-12);
    expect(streamed.minCosine).to.equal(Math.min(...cosines));
    expect(streamed.maxAbsError).to.equal(maxAbsError(reference, quantized));
    expect(streamed.meanAbsError).to.be.closeTo(meanAbsError(reference, quantized), 1e-12);
    expect(streamed.sqnrDb).to.be.closeTo(sqnrDb(reference, quantized), 1e-9);
    for (const key of Object.keys(oneShot) as (keyof typeof oneShot)[]) {
      expect(streamed[key], key).to.be.closeTo(oneShot[key], 1e-9);
    }
  });

  it('merges two accumulators into the summary of their union', () => {
    const rng = new Rng('merge');
    const a = randomOutputs(rng, 40), b = randomOutputs(rng, 24);
    const merged = new OutputComparison(4).add(a.reference, a.quantized)
      .merge(new OutputComparison(4).add(b.reference, b.quantized))
      .summary();
    const whole = new OutputComparison(4).add(a.reference, a.quantized).add(b.reference, b.quantized).summary();
    expect(merged).to.deep.equal(whole);
  });

  it('counts NaN on each side and lets it poison the metrics it touches', () => {
    const summary = compareOutputs(f32([NaN, 1, 2, 3]), f32([0, NaN, 2, NaN]), 2);
    expect(summary.nanInReference).to.equal(1);
    expect(summary.nanInQuantized).to.equal(2);
    expect(summary.meanCosine).to.be.NaN;
    expect(summary.minCosine).to.be.NaN;
    expect(summary.maxAbsError).to.be.NaN;
    expect(summary.sqnrDb).to.be.NaN;
  });

  it('reports an empty accumulator as NaN with no vectors', () => {
    const summary = new OutputComparison(4).summary();
    expect(summary.vectors).to.equal(0);
    expect(summary.meanCosine).to.be.NaN;
    expect(summary.sqnrDb).to.be.NaN;
  });

  it('rejects mismatched lengths and partial vectors', () => {
    expect(() => compareOutputs(f32([1, 2]), f32([1]), 1)).to.throw(RangeError);
    expect(() => compareOutputs(f32([1, 2, 3]), f32([1, 2, 3]), 2)).to.throw(RangeError);
    expect(() => new OutputComparison(4).merge(new OutputComparison(2))).to.throw(RangeError);
  });
});
