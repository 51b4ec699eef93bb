// Face verification quality of an embedding model: given faces with identity
// labels, score pairs by cosine of L2-normalised embeddings and measure how
// well a threshold separates genuine pairs (same identity) from impostors.
//
// One decision rule everywhere: a pair is accepted as genuine iff
// score > threshold, so a threshold from one function means the same in
// another, and a threshold may be an observed score without ambiguity over
// whether that score itself passes.

import { Rng } from '../generators/rng.ts';

export interface Pair {
  i: number;
  j: number;
  genuine: boolean;
}

export type PairOptions = { seed: number | string } & (
  | { impostorPerGenuine: number; maxImpostors?: number }
  | { maxImpostors: number; impostorPerGenuine?: number }
);

export interface ThresholdAccuracy {
  accuracy: number;
  threshold: number;
}

export interface OperatingPoint {
  tar: number;
  threshold: number;
  /** The false accept rate actually reached; at most the one asked for. */
  far: number;
}

export interface VerificationOptions {
  pairs: PairOptions;
  /** Target false accept rates; 1e-2 and 1e-3 unless given. */
  fars?: number[];
  /** Embeddings of the same faces from the float model, to count matching decisions. */
  reference?: readonly Float32Array[];
}

export interface VerificationReport {
  genuinePairs: number;
  impostorPairs: number;
  best: ThresholdAccuracy;
  rocAuc: number;
  /** `point` is null when there are too few impostor pairs to measure that rate. */
  tarAtFar: { targetFar: number; point: OperatingPoint | null }[];
  agreement?: {
    /** Each model judged at its own best-accuracy threshold. */
    atOwnThresholds: number;
    /** Both judged at the reference's threshold, as when a deployed threshold is kept. */
    atReferenceThreshold: number;
  };
}

/** Unit-length copy; a zero vector stays zero so it scores 0 against anything. */
export function l2normalize(vector: Float32Array): Float32Array {
  let squares = 0;
  for (const x of vector) squares += x * x;
  const norm = Math.sqrt(squares);
  const unit = new Float32Array(vector.length);
  if (norm === 0) return unit;
  for (let k = 0; k < vector.length; k++) unit[k] = vector[k] / norm;
  return unit;
}

export function pairScores(embeddings: readonly Float32Array[], pairs: readonly Pair[]): Float64Array {
  // Normalise each face once rather than once per pair it appears in.
  const units = embeddings.map(l2normalize);
  const scores = new Float64Array(pairs.length);
  pairs.forEach(({ i, j }, p) => {
    const a = units[i], b = units[j];
    if (a.length !== b.length) throw new RangeError(`embeddings ${i} and ${j} differ in length`);
    let dot = 0;
    for (let k = 0; k < a.length; k++) dot += a[k] * b[k];
    scores[p] = dot;
  });
  return scores;
}

/**
 * Every genuine pair (i < j, same label), then a seeded sample of distinct
 * impostor pairs: impostorPerGenuine times the genuine count, capped by
 * maxImpostors and by how many impostor pairs exist.
 */
export function buildPairs(labels: readonly number[], options: PairOptions): Pair[] {
  const n = labels.length;
  const genuine: Pair[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) if (labels[i] === labels[j]) genuine.push({ i, j, genuine: true });
  }
  const available = (n * (n - 1)) / 2 - genuine.length;
  const wanted = Math.min(
    available,
    options.impostorPerGenuine === undefined ? Infinity : Math.floor(options.impostorPerGenuine * genuine.length),
    options.maxImpostors ?? Infinity,
  );
  const rng = new Rng(options.seed);
  // When most impostor pairs are wanted, listing them all costs at most twice
  // the output and spares rejection sampling its slow crawl to the last few.
  const impostors = wanted * 2 >= available
    ? rng.shuffle(allImpostors(labels)).slice(0, wanted)
    : sampleImpostors(labels, wanted, rng);
  return genuine.concat(impostors);
}

function allImpostors(labels: readonly number[]): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) if (labels[i] !== labels[j]) pairs.push({ i, j, genuine: false });
  }
  return pairs;
}

// At most half the impostor pairs are wanted, so each draw is new with
// probability >= 1/2 among impostors; draws landing on a genuine pair are
// rejected too, which is cheap while identities are many and small.
function sampleImpostors(labels: readonly number[], count: number, rng: Rng): Pair[] {
  const n = labels.length;
  const seen = new Set<number>();
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const x = rng.int(n), y = rng.int(n);
    if (labels[x] === labels[y]) continue;
    const i = Math.min(x, y), j = Math.max(x, y);
    const key = i * n + j;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push({ i, j, genuine: false });
  }
  return pairs;
}

/**
 * The threshold with the highest accuracy, found exactly in one sort and one
 * sweep. Candidates: -Infinity (accept all), then the midpoint between each pair
 * of neighbouring distinct scores, then the top score (reject all). On a tie the
 * lowest threshold wins.
 */
export function bestThresholdAccuracy(scores: ArrayLike<number>, isGenuine: readonly boolean[]): ThresholdAccuracy {
  const order = ascendingOrder(scores, isGenuine);
  const n = order.length;
  let correct = isGenuine.filter(Boolean).length;
  let bestCorrect = correct, bestThreshold = -Infinity;
  for (let k = 0; k < n; ) {
    const score = scores[order[k]];
    // Moving the threshold past a run of equal scores rejects the whole run.
    for (; k < n && scores[order[k]] === score; k++) correct += isGenuine[order[k]] ? -1 : 1;
    if (correct > bestCorrect) {
      bestCorrect = correct;
      bestThreshold = k < n ? between(score, scores[order[k]]) : score;
    }
  }
  return { accuracy: bestCorrect / n, threshold: bestThreshold };
}

/**
 * True accept rate at a false accept rate no higher than `far`. With I impostor
 * pairs, at most floor(far * I) of them may be accepted, so the threshold is
 * the impostor score ranked floor(far * I) + 1 from the top; impostors tied
 * with it are rejected along with it, so ties only ever lower the FAR reached.
 * Null when fewer than 1/far impostor pairs exist: no impostor could be
 * accepted and the figure would be TAR at FAR 0 under another name.
 */
export function tarAtFar(scores: ArrayLike<number>, isGenuine: readonly boolean[], far: number): OperatingPoint | null {
  if (!(far > 0 && far < 1)) throw new RangeError(`far must lie in (0, 1), got ${far}`);
  const order = ascendingOrder(scores, isGenuine);
  const impostorScores = order.filter((p) => !isGenuine[p]).map((p) => scores[p]).reverse();
  // far is usually a decimal like 1e-3 that binary floats miss by an ulp;
  // without the slack, 1000 impostors at 1e-3 could round down to 0 allowed.
  const allowed = Math.floor(far * impostorScores.length * (1 + 1e-12));
  if (allowed < 1) return null;
  const threshold = impostorScores[allowed];
  const accepted = (want: boolean) => order.filter((p) => isGenuine[p] === want && scores[p] > threshold).length;
  return {
    tar: accepted(true) / (order.length - impostorScores.length),
    threshold,
    far: accepted(false) / impostorScores.length,
  };
}

/**
 * Area under the ROC curve as the Mann-Whitney U statistic: the chance that a
 * random genuine pair outscores a random impostor, ties counting 1/2 (midranks).
 */
export function rocAuc(scores: ArrayLike<number>, isGenuine: readonly boolean[]): number {
  const order = ascendingOrder(scores, isGenuine);
  let genuineRankSum = 0, genuineCount = 0;
  for (let k = 0; k < order.length; ) {
    let end = k;
    while (end < order.length && scores[order[end]] === scores[order[k]]) end++;
    const midrank = (k + 1 + end) / 2;
    for (; k < end; k++) {
      if (isGenuine[order[k]]) {
        genuineRankSum += midrank;
        genuineCount++;
      }
    }
  }
  const impostorCount = order.length - genuineCount;
  return (genuineRankSum - (genuineCount * (genuineCount + 1)) / 2) / (genuineCount * impostorCount);
}

/** Share of pairs both models accept or both reject. */
export function decisionAgreement(
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
  thresholdA: number,
  thresholdB: number,
): number {
  if (scoresA.length !== scoresB.length) throw new RangeError(`length mismatch: ${scoresA.length} vs ${scoresB.length}`);
  let same = 0;
  for (let p = 0; p < scoresA.length; p++) if (scoresA[p] > thresholdA === scoresB[p] > thresholdB) same++;
  return same / scoresA.length;
}

export function verificationReport(
  embeddings: readonly Float32Array[],
  labels: readonly number[],
  options: VerificationOptions,
): VerificationReport {
  if (embeddings.length !== labels.length) {
    throw new RangeError(`${embeddings.length} embeddings but ${labels.length} labels`);
  }
  const pairs = buildPairs(labels, options.pairs);
  const isGenuine = pairs.map((p) => p.genuine);
  const scores = pairScores(embeddings, pairs);
  const best = bestThresholdAccuracy(scores, isGenuine);
  const genuinePairs = isGenuine.filter(Boolean).length;
  const report: VerificationReport = {
    genuinePairs,
    impostorPairs: pairs.length - genuinePairs,
    best,
    rocAuc: rocAuc(scores, isGenuine),
    tarAtFar: (options.fars ?? [1e-2, 1e-3]).map((targetFar) => ({
      targetFar,
      point: tarAtFar(scores, isGenuine, targetFar),
    })),
  };
  if (options.reference) {
    if (options.reference.length !== embeddings.length) {
      throw new RangeError(`${options.reference.length} reference embeddings for ${embeddings.length} faces`);
    }
    const referenceScores = pairScores(options.reference, pairs);
    const referenceThreshold = bestThresholdAccuracy(referenceScores, isGenuine).threshold;
    report.agreement = {
      atOwnThresholds: decisionAgreement(scores, referenceScores, best.threshold, referenceThreshold),
      atReferenceThreshold: decisionAgreement(scores, referenceScores, referenceThreshold, referenceThreshold),
    };
  }
  return report;
}

/** A threshold in [low, high): accepts `high`, rejects `low`, even when they are adjacent floats. */
function between(low: number, high: number): number {
  const mid = low + (high - low) / 2;
  return mid < high ? mid : low;
}

// Indices sorted by score, after the checks every metric needs: matching
// lengths, no NaN (a NaN score means a NaN embedding, which must not be sorted
// into some arbitrary place), and both kinds of pair present.
function ascendingOrder(scores: ArrayLike<number>, isGenuine: readonly boolean[]): number[] {
  if (scores.length !== isGenuine.length) {
    throw new RangeError(`${scores.length} scores but ${isGenuine.length} labels`);
  }
  const order = Array.from({ length: scores.length }, (_, p) => p);
  for (const p of order) if (Number.isNaN(scores[p])) throw new RangeError(`score of pair ${p} is NaN`);
  const genuine = isGenuine.filter(Boolean).length;
  if (genuine === 0 || genuine === isGenuine.length) {
    throw new RangeError('need both genuine and impostor pairs');
  }
  // Not a subtraction: Infinity - Infinity would be NaN and corrupt the sort.
  return order.sort((x, y) => (scores[x] < scores[y] ? -1 : scores[x] > scores[y] ? 1 : 0));
}
