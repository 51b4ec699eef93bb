// equalize: cross-layer equalization (Nagel et al. 2019, "Data-Free
// Quantization Through Weight Equalization and Bias Correction", section 4.1),
// plus high-bias absorption (section 4.2) where the activation allows it.
//
// For a pair Conv1 -> [Relu | PRelu | LeakyRelu | nothing] -> Conv2, where
// Conv1's output (and the activation's) feeds only the next node, scaling
// channel i of Conv1's output by 1/s_i (s_i > 0) and Conv2's input channel i
// by s_i leaves the pair's function unchanged, because these activations are
// positively homogeneous per channel: f(x / s) = f(x) / s for s > 0.
//
//   Before:  %y = Conv(%x, %W1, %b1);  %a = PRelu(%y, %slope);  %z = Conv(%a, %W2, %b2)
//   After:   %y = Conv(%x, %W1 / s[cout], %b1 / s);  %a = PRelu(%y, %slope);
//            %z = Conv(%a, %W2 * s[cin], %b2)
//
// With r1_i = max|W1[i, ...]| and r2_i = max|W2[:, i, ...]| (input channel i,
// by group), s_i = sqrt(r1_i r2_i) / r2_i makes both ranges sqrt(r1_i r2_i),
// which is the choice that maximises the pair's per-tensor quantization
// precision. Chains (pw -> PRelu -> dw -> PRelu -> pw) give overlapping pairs,
// so all pairs are swept repeatedly (Gauss-Seidel, as in the paper) until the
// scales of a sweep are all within 1e-3 of 1 in log, or 20 sweeps. Dead and
// near-dead channels (range <= 1e-6 of the weight's largest, on either side)
// keep s = 1, and no channel's total scale leaves [1e-4, 1e4]: see
// equalizingScales. Zero-padding in Conv2 is harmless here: padded zeros stay
// zeros under scaling.
//
// High-bias absorption (only when ctx.services can run the model, and only for
// Relu or no activation): where a channel of Conv1's output stays above
// c_i > 0 on the calibration stream, Relu(y - c) = Relu(y) - c, so
//
//   After:   %y = Conv(%x, %W1, %b1 - c);  %a = Relu(%y);
//            %z = Conv(%a, %W2, %b2 + sum_{i,k} W2[:, i, k] c_i)
//
// which narrows the activation range without changing the result. The folded
// constant term is only right when Conv2 never reads padding (the padded zeros
// would have been -c after the shift), so padded Conv2s decline. c_i is not
// the observed minimum but sits well below it (see absorbableShift), so inputs
// outside the calibration stream that dip a little lower still see
// an exact result. PRelu and LeakyRelu are not absorbed. Strictly, the shift
// is exact for them under the same condition as for Relu (y >= c wherever the
// model runs: above c every one of these is the identity), and inexact for
// them, as for Relu, where y dips below c; but the paper states absorption for
// Relu, and we keep to that case rather than extend an estimate-based rewrite
// to activations whose negative side carries signal.
//
// Weights, biases of Conv1 and weights of Conv2 must be float32 constants read
// by nothing else (a shared weight would change another node's result); Conv2's
// bias is only ever added to, and a shared one is copied by setFloatInput.

import type { Graph } from '../compiler/ir/graph.ts';
import type { Model } from '../compiler/ir/model.ts';
import type { Node } from '../compiler/ir/node.ts';
import type { Value } from '../compiler/ir/value.ts';
import type { Pass, PassContext } from '../compiler/pass-manager/pass.ts';
import { floatValues, setFloatInput, weightProblem } from './shared/weights.ts';

/** Activations with f(x / s) = f(x) / s for s > 0, per channel. */
const HOMOGENEOUS = new Set(['Relu', 'PRelu', 'LeakyRelu']);
/** Element-wise activations that are not: a Conv -> these -> Conv chain declines with a reason. */
const NOT_HOMOGENEOUS = new Set([
  'Clip', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'Mish', 'Gelu', 'ThresholdedRelu', 'Swish',
]);

export const MAX_ROUNDS = 20;
/** Converged when every scale of a sweep has |log s| below this. */
export const CONVERGED_LOG_SCALE = 1e-3;
/** Bounds on the total scale of a channel over all rounds. */
const MIN_SCALE = 1e-4;
const MAX_SCALE = 1e4;
const ABSORB_SAMPLES = 16;
/** A channel whose range is at most this fraction of its weight's largest is treated as dead. */
export const DEAD_RELATIVE = 1e-6;

export interface EqualizationPair {
  conv1: Node;
  /** Relu, PRelu, LeakyRelu, or null when Conv1 feeds Conv2 directly. */
  activation: Node | null;
  conv2: Node;
  channels: number;
}

/** Float64 working copies of a Conv's weight and bias, written back once at the end. */
interface ConvState {
  node: Node;
  dims: readonly number[];
  w: Float64Array;
  b: Float64Array | null;
  group: number;
}

function isOnnx(node: Node): boolean {
  return node.domain === '' || node.domain === 'ai.onnx';
}

function describeUsers(v: Value): string {
  const users = v.consumers().map((n) => n.describe());
  return `${users.join(', ')}${v.isGraphOutput ? `${users.length ? ' and ' : ''}the graph outputs` : ''}`;
}

/** Whether a node could start or continue an equalization pair (for deciding what is worth a decline). */
function pairLike(n: Node): boolean {
  return isOnnx(n) && (n.opType === 'Conv' || HOMOGENEOUS.has(n.opType) || NOT_HOMOGENEOUS.has(n.opType));
}

/**
 * The pair starting at `conv1`, a reason it cannot be equalized (when it looks
 * like a pair), or null when it is not one.
 */
export function pairAt(conv1: Node): EqualizationPair | { problem: string } | null {
  if (conv1.opType !== 'Conv' || !isOnnx(conv1)) return null;
  const y = conv1.output;
  const users = y.consumers();
  if (y.uses.length !== 1 || y.isGraphOutput) {
    return users.some(pairLike) ? { problem: `its output '${y.name}' is also used elsewhere (by ${describeUsers(y)})` } : null;
  }
  let activation: Node | null = null;
  let feed = y;
  let next = users[0];
  if (isOnnx(next) && NOT_HOMOGENEOUS.has(next.opType)) {
    const after = next.output.consumers();
    return after.some((n) => n.opType === 'Conv') ? { problem: `activation ${next.describe()} is not positively homogeneous per channel` } : null;
  }
  if (isOnnx(next) && HOMOGENEOUS.has(next.opType)) {
    activation = next;
    if (activation.input(0) !== y) return { problem: `it feeds ${activation.describe()} through an input other than its data input` };
    feed = activation.output;
    const after = feed.consumers();
    if (feed.uses.length !== 1 || feed.isGraphOutput) {
      return after.some(pairLike) ? { problem: `the output '${feed.name}' of ${activation.describe()} is also used elsewhere (by ${describeUsers(feed)})` } : null;
    }
    next = after[0];
  }
  if (next.opType !== 'Conv' || !isOnnx(next)) return null;
  const conv2 = next;
  if (conv2.input(0) !== feed) return { problem: `${conv2.describe()} reads it as its weight or bias, not its data input` };
  const problem =
    weightProblem(conv1.input(1), conv1, 'Conv1 weight') ??
    (conv1.input(2) ? weightProblem(conv1.input(2), conv1, 'Conv1 bias') : null) ??
    weightProblem(conv2.input(1), conv2, 'Conv2 weight');
  if (problem) return { problem };
  const w1 = conv1.input(1)!.constValue!, w2 = conv2.input(1)!.constValue!;
  if (w1.dims.length < 3 || w2.dims.length !== w1.dims.length) return { problem: `weight ranks ${w1.dims.length} and ${w2.dims.length} do not make a Conv pair` };
  const channels = w1.dims[0];
  const b1 = conv1.input(2)?.constValue;
  if (b1 && b1.size !== channels) return { problem: `Conv1 bias has ${b1.size} values for ${channels} channels` };
  const group2 = conv2.getInt('group', 1);
  if (w2.dims[1] * group2 !== channels) return { problem: `${conv2.describe()} reads ${w2.dims[1] * group2} channels, ${conv1.describe()} makes ${channels}` };
  if (w2.dims[0] % group2 !== 0) return { problem: `${conv2.describe()} has ${w2.dims[0]} outputs for ${group2} groups` };
  if (activation?.opType === 'PRelu') {
    const slopeProblem = preluSlopeProblem(activation, channels, w1.dims.length);
    if (slopeProblem) return { problem: slopeProblem };
  }
  return { conv1, activation, conv2, channels };
}

/**
 * PReLU(x / s) = PReLU(x) / s holds for s > 0 whatever the slope; we still
 * only take slopes that are visibly per channel (a scalar, [C, 1, ...] or
 * [1, C, 1, ...] against the Conv output's rank), so the activation is plainly
 * one per channel. A [C] slope broadcasts along the last axis under ONNX rules,
 * not along channels, and declines.
 */
function preluSlopeProblem(prelu: Node, channels: number, rank: number): string | null {
  const slope = prelu.input(1);
  const t = slope?.isConstant ? slope.constValue : null;
  if (!t) return `PRelu slope${slope ? ` '${slope.name}'` : ''} is not a constant, so it is not known to be per-channel`;
  if (t.size === 1) return null;
  const dims = t.dims;
  const shape = `[${dims.join(', ')}]`;
  if (dims.length > rank) return `PRelu slope ${shape} has more axes than its input: activation not per-channel homogeneous`;
  const padded = [...Array(rank - dims.length).fill(1), ...dims];
  const perChannel = padded.every((d, axis) => (axis === 1 ? d === channels || d === 1 : d === 1));
  if (perChannel) return null;
  if (dims.length === 1) return `PRelu slope ${shape} broadcasts along the last axis, not per channel`;
  return `PRelu slope ${shape} is not per-channel (activation not per-channel homogeneous)`;
}

/** All equalizable pairs in graph order; declines the near misses. */
export function equalizationPairs(graph: Graph, ctx?: PassContext): EqualizationPair[] {
  const pairs: EqualizationPair[] = [];
  for (const node of graph.nodes) {
    const found = pairAt(node);
    if (!found) continue;
    if ('problem' in found) ctx?.decline(found.problem, { node, rule: 'equalize' });
    else pairs.push(found);
  }
  return pairs;
}

function stateOf(states: Map<Node, ConvState>, node: Node): ConvState {
  let s = states.get(node);
  if (!s) {
    const t = node.input(1)!.constValue!;
    s = { node, dims: t.dims, w: floatValues(node.input(1))!, b: floatValues(node.input(2)), group: node.getInt('group', 1) };
    states.set(node, s);
  }
  return s;
}

/** max |W[i, ...]| per output channel i. */
export function outputRanges(dims: readonly number[], w: ArrayLike<number>): Float64Array {
  const out = dims[0];
  const per = w.length / out;
  const r = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let m = 0;
    for (let k = o * per, end = k + per; k < end; k++) m = Math.max(m, Math.abs(w[k]));
    r[o] = m;
  }
  return r;
}

/** max |W[:, i, ...]| per input channel i of a Conv with `group` groups (W is [out, in / group, ...]). */
export function inputRanges(dims: readonly number[], w: ArrayLike<number>, group: number): Float64Array {
  const [out, inPerGroup] = dims;
  const outPerGroup = out / group;
  const spatial = w.length / (out * inPerGroup);
  const r = new Float64Array(inPerGroup * group);
  for (let o = 0; o < out; o++) {
    const g = Math.floor(o / outPerGroup);
    for (let j = 0; j < inPerGroup; j++) {
      const ch = g * inPerGroup + j;
      let m = r[ch];
      for (let k = (o * inPerGroup + j) * spatial, end = k + spatial; k < end; k++) m = Math.max(m, Math.abs(w[k]));
      r[ch] = m;
    }
  }
  return r;
}

/** Multiplies input channel i of a grouped Conv weight by s[i]. */
function scaleInputChannels(st: ConvState, s: Float64Array): void {
  const [out, inPerGroup] = st.dims;
  const outPerGroup = out / st.group;
  const spatial = st.w.length / (out * inPerGroup);
  for (let o = 0; o < out; o++) {
    const g = Math.floor(o / outPerGroup);
    for (let j = 0; j < inPerGroup; j++) {
      const f = s[g * inPerGroup + j];
      for (let k = (o * inPerGroup + j) * spatial, end = k + spatial; k < end; k++) st.w[k] *= f;
    }
  }
}

/** Divides output channel i (weight row and bias) by s[i]. */
function divideOutputChannels(st: ConvState, s: Float64Array): void {
  const per = st.w.length / st.dims[0];
  for (let o = 0; o < st.dims[0]; o++) {
    for (let k = o * per, end = k + per; k < end; k++) st.w[k] /= s[o];
    if (st.b) st.b[o] /= s[o];
  }
}

/**
 * The scales one step of equalization applies to a pair. A channel is left
 * alone (s = 1) when it is dead or next to it on either side: its range is at
 * most DEAD_RELATIVE of the largest range of the same weight (pruned channels
 * hold exact zeros, but trained ones also hold leftovers around 1e-30 that
 * carry no signal). Equalizing such a channel would divide its bias, which
 * may be far from negligible, by a huge factor and blow up the activation
 * range. `total` holds the scale already applied to each channel in earlier
 * rounds: each step is clamped so that the total stays in [1e-4, 1e4].
 */
export function equalizingScales(r1: Float64Array, r2: Float64Array, total?: Float64Array): Float64Array {
  const s = new Float64Array(r1.length);
  let max1 = 0, max2 = 0;
  for (let i = 0; i < r1.length; i++) {
    max1 = Math.max(max1, r1[i]);
    max2 = Math.max(max2, r2[i]);
  }
  for (let i = 0; i < r1.length; i++) {
    if (!(r1[i] > DEAD_RELATIVE * max1) || !(r2[i] > DEAD_RELATIVE * max2)) {
      s[i] = 1;
      continue;
    }
    const before = total ? total[i] : 1;
    const want = Math.sqrt(r1[i] * r2[i]) / r2[i];
    s[i] = Math.min(MAX_SCALE / before, Math.max(MIN_SCALE / before, want));
  }
  return s;
}

/** Runs the sweeps; returns how many were needed. */
function equalizeAll(pairs: EqualizationPair[], states: Map<Node, ConvState>): number {
  let rounds = 0;
  const totals = pairs.map((p) => new Float64Array(p.channels).fill(1));
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    rounds = round;
    let worst = 0;
    pairs.forEach((p, n) => {
      const a = stateOf(states, p.conv1), b = stateOf(states, p.conv2);
      const s = equalizingScales(outputRanges(a.dims, a.w), inputRanges(b.dims, b.w, b.group), totals[n]);
      for (let i = 0; i < s.length; i++) {
        worst = Math.max(worst, Math.abs(Math.log(s[i])));
        totals[n][i] *= s[i];
      }
      divideOutputChannels(a, s);
      scaleInputChannels(b, s);
    });
    if (worst < CONVERGED_LOG_SCALE) break;
  }
  return rounds;
}

function writeBack(graph: Graph, states: Map<Node, ConvState>): void {
  for (const st of states.values()) {
    const w = st.node.input(1)!;
    setFloatInput(graph, st.node, 1, st.dims, st.w, `${w.name}_equalized`);
    if (st.b) setFloatInput(graph, st.node, 2, [st.dims[0]], st.b, `${st.node.name}.bias_equalized`);
  }
}

// --- high-bias absorption ---------------------------------------------------

function padProblem(conv: Node): string | null {
  const autoPad = conv.getString('auto_pad', 'NOTSET');
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return `${conv.describe()} pads its input (auto_pad ${autoPad})`;
  if ((conv.getInts('pads') ?? []).some((p) => p !== 0)) return `${conv.describe()} pads its input, and the padded zeros would not carry the shift`;
  return null;
}

export interface ChannelStats {
  min: Float64Array;
  sum: Float64Array;
  sumSq: Float64Array;
  count: number;
}

/**
 * Per-channel shifts c_i >= 0 that Conv1's output can give up (0 where none).
 * The paper takes beta - 3 gamma (mean - 3 std), which already fails for 0.1%
 * of values; the observed minimum fails for the next input that dips lower (a
 * Gaussian stream of 16 samples does, in our tests). We keep a margin below
 * the mean twice as deep as the deepest thing seen, and at least 6 std:
 * c = mean - 2 max(mean - min, 3 std), and nothing unless the observed
 * minimum itself is positive.
 */
export function absorbableShift(st: ChannelStats): Float64Array {
  const c = new Float64Array(st.min.length);
  for (let i = 0; i < c.length; i++) {
    if (!(st.min[i] > 0) || !st.count) continue;
    const mean = st.sum[i] / st.count;
    const std = Math.sqrt(Math.max(0, st.sumSq[i] / st.count - mean * mean));
    const shift = mean - 2 * Math.max(mean - st.min[i], 3 * std);
    c[i] = shift > 0 && Number.isFinite(shift) ? shift : 0;
  }
  return c;
}

async function absorbHighBiases(model: Model, pairs: EqualizationPair[], ctx: PassContext): Promise<boolean> {
  const candidates: EqualizationPair[] = [];
  for (const p of pairs) {
    // PRelu and LeakyRelu are left alone (see the note at the top): only Relu or no activation.
    if (p.activation && p.activation.opType !== 'Relu') continue;
    const problem = padProblem(p.conv2);
    if (problem) {
      ctx.decline(`high-bias absorption: ${problem}`, { node: p.conv1, rule: 'absorb-high-bias' });
      continue;
    }
    candidates.push(p);
  }
  if (!candidates.length) return false;
  const stats = new Map<string, ChannelStats>();
  const names = candidates.map((p) => p.conv1.output.name);
  await ctx.services!.observe(model, names, (sample) => {
    for (const [name, t] of sample) {
      const channels = t.dims[1] ?? 1;
      const batch = t.dims[0] ?? 1;
      const inner = t.data.length / (batch * channels);
      let acc = stats.get(name);
      if (!acc) {
        acc = { min: new Float64Array(channels).fill(Infinity), sum: new Float64Array(channels), sumSq: new Float64Array(channels), count: 0 };
        stats.set(name, acc);
      }
      const d = t.data;
      for (let n = 0; n < batch; n++) {
        for (let c = 0; c < channels; c++) {
          let m = acc.min[c], s = 0, q = 0;
          for (let k = (n * channels + c) * inner, end = k + inner; k < end; k++) {
            const v = d[k];
            if (v < m) m = v;
            s += v;
            q += v * v;
          }
          acc.min[c] = m;
          acc.sum[c] += s;
          acc.sumSq[c] += q;
        }
      }
      acc.count += batch * inner;
    }
  }, { maxSamples: ABSORB_SAMPLES });
  const graph = model.graph;
  let absorbedAny = false;
  for (const p of candidates) {
    const st = stats.get(p.conv1.output.name);
    if (!st || st.min.length !== p.channels) {
      ctx.decline(`high-bias absorption: '${p.conv1.output.name}' was not observed as a ${p.channels}-channel tensor`, { node: p.conv1, rule: 'absorb-high-bias' });
      continue;
    }
    const c = absorbableShift(st);
    const absorbed = c.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    if (!absorbed) continue;
    const b1 = floatValues(p.conv1.input(2)) ?? new Float64Array(p.channels);
    for (let i = 0; i < p.channels; i++) b1[i] -= c[i];
    const w2t = p.conv2.input(1)!.constValue!;
    const w2 = floatValues(p.conv2.input(1))!;
    const [out, inPerGroup] = w2t.dims;
    const group = p.conv2.getInt('group', 1);
    const outPerGroup = out / group;
    const spatial = w2.length / (out * inPerGroup);
    const b2 = floatValues(p.conv2.input(2)) ?? new Float64Array(out);
    for (let o = 0; o < out; o++) {
      const g = Math.floor(o / outPerGroup);
      let add = 0;
      for (let j = 0; j < inPerGroup; j++) {
        const ci = c[g * inPerGroup + j];
        if (!ci) continue;
        for (let k = (o * inPerGroup + j) * spatial, end = k + spatial; k < end; k++) add += w2[k] * ci;
      }
      b2[o] += add;
    }
    setFloatInput(graph, p.conv1, 2, [p.channels], b1, `${p.conv1.name}.bias_absorbed`);
    setFloatInput(graph, p.conv2, 2, [out], b2, `${p.conv2.name}.bias_absorbed`);
    ctx.count('absorbed-channels', absorbed);
    ctx.count('absorbed-pairs');
    absorbedAny = true;
  }
  return absorbedAny;
}

export const equalizePass: Pass = {
  name: 'equalize',
  description: 'cross-layer equalization of Conv -> [Relu/PRelu/LeakyRelu] -> Conv pairs (Nagel et al. 2019), plus high-bias absorption through Relu when the model can be run',
  exact: true,
  async run(model, ctx) {
    const pairs = equalizationPairs(model.graph, ctx);
    if (!pairs.length) return false;
    const states = new Map<Node, ConvState>();
    const rounds = equalizeAll(pairs, states);
    writeBack(model.graph, states);
    ctx.count('pairs', pairs.length);
    ctx.count('rounds', rounds);
    if (ctx.services) await absorbHighBiases(model, pairs, ctx);
    return true;
  },
};
