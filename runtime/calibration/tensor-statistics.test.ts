import { expect } from 'chai';
import { Rng } from '../generators/rng.ts';
import { TensorStatistics } from './tensor-statistics.ts';

function batches(seed: string, count: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: 500 }, () => rng.normal(0.5, 2)));
}

describe('TensorStatistics', () => {
  it('feeds each observed batch to the histogram and the running min/max', () => {
    const stats = TensorStatistics.create({ maxBins: 256, momentum: 0.5 });
    stats.observe(Float32Array.from([1, -2, NaN]));
    stats.observe(Float32Array.from([4, 0]));
    stats.observe(Float32Array.from([NaN]));
    expect([stats.histogram.count, stats.histogram.maxBins, stats.histogram.nan]).to.deep.equal([4, 256, 2]);
    expect([stats.minmax.batches, stats.minmax.movingMin, stats.minmax.movingMax]).to.deep.equal([2, -1, 2.5]);
  });

  it('merges shards into the histogram of one run and the moving average of the concatenation', () => {
    const all = batches('shards', 6);
    const single = TensorStatistics.create();
    all.forEach((b) => single.observe(b));
    const first = TensorStatistics.create();
    const second = TensorStatistics.create();
    all.slice(0, 4).forEach((b) => first.observe(b));
    all.slice(4).forEach((b) => second.observe(b));
    const merged = first.clone().merge(second);
    expect(merged.histogram.binCounts()).to.deep.equal(single.histogram.binCounts());
    expect(merged.histogram.binEdges()).to.deep.equal(single.histogram.binEdges());
    expect(merged.minmax.movingMax).to.be.closeTo(single.minmax.movingMax, 1e-12);
    expect(first.histogram.count).to.equal(2000);
  });

  it('round-trips through JSON text exactly, and a clone is independent', () => {
    const stats = TensorStatistics.create();
    batches('json', 3).forEach((b) => stats.observe(b));
    const back = TensorStatistics.fromJSON(JSON.parse(JSON.stringify(stats)));
    expect(back.toJSON()).to.deep.equal(stats.toJSON());
    const clone = stats.clone();
    clone.observe(Float32Array.from([100]));
    expect(stats.histogram.max).to.be.below(100);
  });
});
