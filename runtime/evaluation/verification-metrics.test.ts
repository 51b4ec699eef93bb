import { expect } from 'chai';
import fc from 'fast-check';
import { Rng } from '../generators/rng.ts';
import {
  bestThresholdAccuracy,
  buildPairs,
  decisionAgreement,
  l2normalize,
  pairScores,
  rocAuc,
  tarAtFar,
  verificationReport,
} from './verification-metrics.ts';

const T = true, F = false;

// Small integer scores make ties common, which is where sweeps go wrong.
const scoredPairs = fc
  .array(fc.record({ score: fc.integer({ min: -5, max: 5 }), genuine: fc.boolean() }), { minLength: 2, maxLength: 40 })
  .filter((ps) => ps.some((p) => p.genuine) && ps.some((p) => !p.genuine));

function accuracyAt(scores: number[], isGenuine: boolean[], threshold: number): number {
  return scores.filter((s, p) => s > threshold === isGenuine[p]).length / scores.length;
}

function choose2(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Faces of `identities` people in 16-d: a random centre each, plus noise. */
function syntheticFaces(rng: Rng, identities: number, perIdentity: number, noise: number) {
  const centres = Array.from({ length: identities }, () => Float32Array.from({ length: 16 }, () => rng.normal()));
  const labels: number[] = [], embeddings: Float32Array[] = [];
  centres.forEach((centre, label) => {
    for (let k = 0; k < perIdentity; k++) {
      labels.push(label);
      embeddings.push(centre.map((x) => x + rng.normal(0, noise)));
    }
  });
  return { labels, embeddings };
}

describe('verification metrics', () => {
  describe('scoring', () => {
    it('normalises to unit length and leaves a zero vector at zero', () => {
      expect(Array.from(l2normalize(Float32Array.from([3, 4])))).to.deep.equal([Math.fround(0.6), Math.fround(0.8)]);
      expect(Array.from(l2normalize(new Float32Array(3)))).to.deep.equal([0, 0, 0]);
    });

    it('scores pairs by the cosine of their embeddings, whatever their norms', () => {
      const embeddings = [[1, 0], [2, 0], [0, 5], [1, 1]].map((v) => Float32Array.from(v));
      const pairs = [{ i: 0, j: 1 }, { i: 0, j: 2 }, { i: 1, j: 3 }].map((p) => ({ ...p, genuine: F }));
      const scores = Array.from(pairScores(embeddings, pairs));
      expect(scores[0]).to.equal(1);
      expect(scores[1]).to.equal(0);
      expect(scores[2]).to.be.closeTo(Math.SQRT1_2, 1e-7);
    });
  });

  describe('buildPairs', () => {
    it('lists every genuine pair and the requested number of impostors', () => {
      const labels = [0, 0, 1, 1, 1, 2];
      const pairs = buildPairs(labels, { impostorPerGenuine: 2, seed: 1 });
      const genuine = pairs.filter((p) => p.genuine).map(({ i, j }) => [i, j]);
      expect(genuine).to.deep.equal([[0, 1], [2, 3], [2, 4], [3, 4]]);
      expect(pairs.filter((p) => !p.genuine)).to.have.length(8);
    });

    it('holds its invariants on any labelling and budget', () => {
      fc.assert(fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 30 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        fc.integer(),
        (labels, impostorPerGenuine, maxImpostors, seed) => {
          const options = { impostorPerGenuine, maxImpostors, seed };
          const pairs = buildPairs(labels, options);
          expect(buildPairs(labels, options)).to.deep.equal(pairs);

          const keys = new Set(pairs.map(({ i, j }) => `${i},${j}`));
          expect(keys.size).to.equal(pairs.length);
          for (const { i, j, genuine } of pairs) {
            expect(i).to.be.below(j);
            expect(j).to.be.below(labels.length);
            expect(genuine).to.equal(labels[i] === labels[j]);
          }

          const sizes = new Map<number, number>();
          for (const l of labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
          const genuineCount = [...sizes.values()].reduce((sum, n) => sum + choose2(n), 0);
          const available = choose2(labels.length) - genuineCount;
          const wanted = Math.min(available, Math.floor(impostorPerGenuine * genuineCount), maxImpostors ?? Infinity);
          expect(pairs.filter((p) => p.genuine)).to.have.length(genuineCount);
          expect(pairs.filter((p) => !p.genuine)).to.have.length(wanted);
        },
      ));
    });

    it('samples different impostors for different seeds', () => {
      const labels = Array.from({ length: 200 }, (_, k) => k % 50);
      const impostors = (seed: number) => buildPairs(labels, { maxImpostors: 100, seed }).filter((p) => !p.genuine);
      expect(impostors(1)).to.not.deep.equal(impostors(2));
      expect(impostors(1)).to.have.length(100);
    });
  });

  describe('bestThresholdAccuracy', () => {
    it('separates a separable set perfectly, between the two classes', () => {
      expect(bestThresholdAccuracy([0.1, 0.2, 0.3, 0.4], [F, F, T, T])).to.deep.equal({ accuracy: 1, threshold: 0.25 });
    });

    it('rejects a run of tied scores together', () => {
      // Rejecting up to 0.5 gets the two impostors and the 0.9 genuine right.
      expect(bestThresholdAccuracy([0.5, 0.5, 0.5, 0.9], [T, F, F, T])).to.deep.equal({ accuracy: 0.75, threshold: 0.7 });
    });

    it('accepts everything when that is best', () => {
      expect(bestThresholdAccuracy([0.1, 0.2, 0.3], [T, T, F])).to.deep.equal({ accuracy: 2 / 3, threshold: -Infinity });
    });

    it('matches a brute force over all thresholds, and its threshold achieves its accuracy', () => {
      fc.assert(fc.property(scoredPairs, (ps) => {
        const scores = ps.map((p) => p.score), isGenuine = ps.map((p) => p.genuine);
        // Under "accept iff score > t", every achievable split is reached by -Infinity or some score.
        const bruteForce = Math.max(...[-Infinity, ...scores].map((t) => accuracyAt(scores, isGenuine, t)));
        const best = bestThresholdAccuracy(scores, isGenuine);
        expect(best.accuracy).to.equal(bruteForce);
        expect(accuracyAt(scores, isGenuine, best.threshold)).to.equal(best.accuracy);
      }));
    });
  });

  describe('tarAtFar', () => {
    const impostors = Array.from({ length: 100 }, (_, k) => k / 100);
    const genuines = [0.9, 0.97, 0.98, 0.985, 0.99, 0.995, 1, 1, 1, 1];
    const scores = [...impostors, ...genuines];
    const isGenuine = [...impostors.map(() => F), ...genuines.map(() => T)];

    it('sets the threshold at the impostor ranked floor(far * I) + 1 from the top', () => {
      // One impostor of 100 may pass: threshold 0.98, only the 0.99 impostor is above it.
      expect(tarAtFar(scores, isGenuine, 1e-2)).to.deep.equal({ tar: 0.7, threshold: 0.98, far: 0.01 });
    });

    it('is not measurable with fewer than 1/far impostor pairs', () => {
      expect(tarAtFar(scores, isGenuine, 1e-3)).to.equal(null);
      const exactly = (count: number) => [...Array.from({ length: count }, (_, k) => k), count + 1];
      const labels = (count: number) => [...Array.from({ length: count }, () => F), T];
      expect(tarAtFar(exactly(999), labels(999), 1e-3)).to.equal(null);
      expect(tarAtFar(exactly(1000), labels(1000), 1e-3)).to.deep.equal({ tar: 1, threshold: 998, far: 1e-3 });
    });

    it('rejects impostors tied at the threshold, so the FAR reached only falls', () => {
      const tiedScores = [...Array.from({ length: 98 }, () => 0.1), 0.9, 0.9, 0.9, 0.95];
      const tiedLabels = [...Array.from({ length: 100 }, () => F), T, T];
      expect(tarAtFar(tiedScores, tiedLabels, 1e-2)).to.deep.equal({ tar: 0.5, threshold: 0.9, far: 0 });
    });
  });

  describe('rocAuc', () => {
    it('is 1 for a separable set and 0 for a reversed one', () => {
      expect(rocAuc([0.1, 0.2, 0.8, 0.9], [F, F, T, T])).to.equal(1);
      expect(rocAuc([0.1, 0.2, 0.8, 0.9], [T, T, F, F])).to.equal(0);
    });

    it('counts ties as one half', () => {
      expect(rocAuc([0.5, 0.5, 0.5], [T, F, F])).to.equal(0.5);
      // Genuine {0.8, 0.4} vs impostor {0.6, 0.4}: wins 1 + 1 + 0 + 1/2 of 4.
      expect(rocAuc([0.8, 0.4, 0.6, 0.4], [T, T, F, F])).to.equal(0.625);
    });

    it('is about 1/2 when both classes share a distribution', () => {
      const rng = new Rng('auc');
      const scores = Array.from({ length: 20000 }, () => rng.normal());
      const isGenuine = scores.map((_, p) => p % 2 === 0);
      expect(rocAuc(scores, isGenuine)).to.be.closeTo(0.5, 0.02);
    });

    it('matches the pairwise definition', () => {
      fc.assert(fc.property(scoredPairs, (ps) => {
        const genuine = ps.filter((p) => p.genuine), impostor = ps.filter((p) => !p.genuine);
        let wins = 0;
        for (const g of genuine) for (const i of impostor) wins += g.score > i.score ? 1 : g.score === i.score ? 0.5 : 0;
        const auc = rocAuc(ps.map((p) => p.score), ps.map((p) => p.genuine));
        expect(auc).to.be.closeTo(wins / (genuine.length * impostor.length), 1e-12);
      }));
    });
  });

  it('measures the share of matching accept/reject decisions', () => {
    // Decisions A: accept, reject, accept, reject; B: accept, accept, accept, reject.
    expect(decisionAgreement([0.9, 0.1, 0.6, 0.2], [0.8, 0.7, 0.9, 0.5], 0.5, 0.6)).to.equal(0.75);
  });

  it('refuses NaN scores and a single class', () => {
    expect(() => rocAuc([0.1, NaN], [T, F])).to.throw(RangeError, /NaN/);
    expect(() => bestThresholdAccuracy([0.1, 0.2], [T, T])).to.throw(RangeError);
  });

  describe('verificationReport', () => {
    it('bundles every metric for well separated identities', () => {
      const { labels, embeddings } = syntheticFaces(new Rng('faces'), 20, 5, 0.2);
      const report = verificationReport(embeddings, labels, {
        pairs: { impostorPerGenuine: 4, seed: 3 },
        reference: embeddings,
      });
      expect(report.genuinePairs).to.equal(20 * choose2(5));
      expect(report.impostorPairs).to.equal(800);
      expect(report.rocAuc).to.be.above(0.99);
      expect(report.best.accuracy).to.be.above(0.98);
      expect(report.tarAtFar.map((t) => t.targetFar)).to.deep.equal([1e-2, 1e-3]);
      expect(report.tarAtFar[0].point?.tar).to.be.above(0.9);
      expect(report.tarAtFar[1].point).to.equal(null);
      expect(report.agreement).to.deep.equal({ atOwnThresholds: 1, atReferenceThreshold: 1 });
    });

    it('sees a noisier copy of the embeddings disagree with the reference', () => {
      const rng = new Rng('noisy');
      const { labels, embeddings } = syntheticFaces(rng, 20, 5, 0.5);
      const noisy = embeddings.map((v) => v.map((x) => x + rng.normal(0, 0.5)));
      const report = verificationReport(noisy, labels, {
        pairs: { maxImpostors: 500, seed: 3 },
        reference: embeddings,
      });
      expect(report.agreement?.atOwnThresholds).to.be.within(0.5, 0.999);
    });
  });
});
