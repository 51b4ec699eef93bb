import { expect } from 'chai';
import { Rng } from '../generators/rng.ts';
import {
  calibrationCacheToJSON,
  mergeCaches,
  readCalibrationCache,
  writeCalibrationCache,
  type CalibrationCache,
  type CalibrationCacheJSON,
} from './calibration-cache.ts';
import { TensorStatistics } from './tensor-statistics.ts';

const model = { name: 'arcface-r50', sha256: 'ab'.repeat(32) };
const generator = { name: 'synthetic-faces', seed: 7 };
const tensorNames = ['input', 'conv/1:0', '__proto__'];

function activations(sample: number): Map<string, Float32Array> {
  const rng = new Rng(`sample-${sample}`);
  return new Map(tensorNames.map((name, k) => [name, Float32Array.from({ length: 300 }, () => Math.max(-k, rng.normal(k, 1 + k)))]));
}

function calibrate(samples: number[], gen: Record<string, unknown> = generator): CalibrationCache {
  const tensors = new Map(tensorNames.map((name) => [name, TensorStatistics.create({ maxBins: 512 })]));
  for (const sample of samples) for (const [name, values] of activations(sample)) tensors.get(name)!.observe(values);
  return { version: 1, model, samples: samples.length, generator: gen, tensors };
}

/** A cache's JSON without the float sums and moving averages, whose last bits depend on order. */
function exactPart(cache: CalibrationCache): unknown {
  const json = calibrationCacheToJSON(cache);
  for (const stats of Object.values(json.tensors)) {
    stats.histogram.sum = stats.histogram.sumOfSquares = 0;
    stats.minmax.movingMin = stats.minmax.movingMax = 0;
  }
  return json;
}

function withChange(change: (json: CalibrationCacheJSON & Record<string, unknown>) => void): string {
  const json = JSON.parse(writeCalibrationCache(calibrate([0, 1])));
  change(json);
  return JSON.stringify(json);
}

describe('calibration cache', () => {
  it('round-trips through its file text exactly, odd tensor names included', () => {
    const text = writeCalibrationCache(calibrate([0, 1, 2]));
    const back = readCalibrationCache(text);
    expect(writeCalibrationCache(back)).to.equal(text);
    expect([...back.tensors.keys()]).to.deep.equal(tensorNames);
    expect(Object.getPrototypeOf(JSON.parse(text).tensors)).to.equal(Object.prototype);
  });

  it('merges shards into what one run over all samples gives', () => {
    const a = calibrate([0, 1, 2]);
    const b = calibrate([3, 4]);
    const before = writeCalibrationCache(a);
    const merged = mergeCaches(a, b);
    expect(exactPart(merged)).to.deep.equal(exactPart(calibrate([0, 1, 2, 3, 4])));
    expect(merged.samples).to.equal(5);
    expect(merged.generator).to.deep.equal(generator);
    expect(writeCalibrationCache(a)).to.equal(before);
  });

  it('keeps differing generators side by side', () => {
    const merged = mergeCaches(mergeCaches(calibrate([0]), calibrate([1], { name: 'synthetic-faces', seed: 8 })), calibrate([2], { seed: 7, name: 'synthetic-faces' }));
    expect(merged.generator).to.deep.equal({ merged: [generator, { name: 'synthetic-faces', seed: 8 }] });
  });

  it('refuses to merge caches of different models, saying which', () => {
    const other = { ...calibrate([1]), model: { name: 'arcface-r100', sha256: 'cd'.repeat(32) } };
    expect(() => mergeCaches(calibrate([0]), other)).to.throw(/different models: "arcface-r50" \(sha256 abab.*\) and "arcface-r100"/);
  });

  describe('rejects a bad file with one message naming the field', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['not JSON', '{"version": 1,', /calibration cache: not valid JSON/],
      ['another version', withChange((j) => (j.version = 2 as 1)), /version is 2, this build reads version 1/],
      ['a missing field', withChange((j) => delete (j.model as Partial<typeof model>).sha256), /model\.sha256 is missing/],
      ['a malformed hash', withChange((j) => (j.model.sha256 = 'xyz')), /model\.sha256 must match pattern/],
      ['a wrong type', withChange((j) => (j.samples = '3' as unknown as number)), /samples must be integer/],
      ['an unknown field', withChange((j) => (j.extra = 1)), /extra is not a known field/],
      ['a negative count', withChange((j) => (j.tensors['conv/1:0'].histogram.zeros = -1)), /tensors\["conv\/1:0"\]\.histogram\.zeros must be >= 0/],
      [
        'inconsistent bins',
        withChange((j) => (j.tensors['conv/1:0'].histogram.count += 1)),
        /calibration cache: tensors\["conv\/1:0"\]\.histogram\.count: is \d+ but the bins hold \d+/,
      ],
    ];
    for (const [what, text, message] of cases) {
      it(what, () => {
        expect(() => readCalibrationCache(text)).to.throw(Error, message);
      });
    }
  });
});
