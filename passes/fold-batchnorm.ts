// fold-batchnorm: inference BatchNormalization folded away, exactly.
//
// With a = scale / sqrt(var + eps) and c = B - mean * a, BN(x) = a * x + c per
// channel. In order of preference:
//
//   1. into the producer (its output feeds only the BN):
//      Before:  %y = Conv(%x, %W, %b);  %z = BatchNormalization(%y, ...)
//      After:   %z = Conv(%x, %W * a, %b * a + c)
//      (ConvTranspose per group on weight axis 1, Gemm with transB 0 or 1,
//       MatMul with a constant 2-D weight plus an Add for c)
//   2. into the following Conv when the BN feeds only that Conv and it has no
//      padding (pre-activation blocks; padding would be applied after the BN):
//      Before:  %y = BatchNormalization(%x, ...);  %z = Conv(%y, %W, %b)
//      After:   %z = Conv(%x, %W * a[cin], %b + sum(%W * c[cin]))
//   3. otherwise Mul + Add with constants shaped [C, 1, ...]:
//      After:   %z = Add(Mul(%x, a), c)
//
// Declines (nothing rewritten) for training mode, running statistics outputs
// in use, non-constant parameters, spatial=0. A producer or consumer that
// cannot take the fold (shared weight, other users of its output) is recorded
// as a decline and the next strategy is tried.

import { Attribute } from '../compiler/ir/attribute.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import type { Model } from '../compiler/ir/model.ts';
import type { Node } from '../compiler/ir/node.ts';
import { Tensor } from '../compiler/ir/tensor.ts';
import type { Value } from '../compiler/ir/value.ts';
import type { PassContext } from '../compiler/pass-manager/pass.ts';
import { Rule, rulePass } from '../compiler/pass-manager/rule.ts';
import { rankOf } from './shared/rank.ts';
import { floatValues, setFloatInput, weightProblem } from './shared/weights.ts';

interface BatchNorm {
  bn: Node;
  x: Value;
  /** Per-channel multiplier and offset, computed in float64. */
  a: Float64Array;
  c: Float64Array;
}

type Strategy = 'into-producer' | 'into-following-conv' | 'to-mul-add';

interface Plan {
  bn: Node;
  /** Why nothing can be rewritten, or the strategy and why better ones were not possible. */
  blocked?: string;
  strategy?: Strategy;
  passedOver: string[];
}

const PARAMETERS = ['scale', 'B', 'mean', 'var'];

const foldBatchNorm: Rule<Plan> = {
  name: 'fold-batchnorm',
  match(node, model) {
    if (node.opType !== 'BatchNormalization' || (node.domain !== '' && node.domain !== 'ai.onnx')) return null;
    return plan(node, model);
  },
  check(p) {
    return p.blocked ?? null;
  },
  rewrite(p, model, ctx) {
    for (const reason of p.passedOver) ctx.decline(reason, { node: p.bn, rule: 'fold-batchnorm' });
    const m = parameters(p.bn);
    const g = model.graph;
    const result =
      p.strategy === 'into-producer' ? foldIntoProducer(m, g, ctx)
      : p.strategy === 'into-following-conv' ? foldIntoFollowingConv(m, g)
      : toMulAdd(m, g, rankOf(m.x)!);
    if (p.strategy !== 'into-producer') ctx.count(p.strategy!);
    if (result) m.bn.output.replaceAllUsesWith(result);
    g.removeNode(m.bn);
  },
};

function plan(bn: Node, model: Model): Plan {
  const blocked = (reason: string): Plan => ({ bn, blocked: reason, passedOver: [] });
  if (bn.getInt('training_mode', 0) === 1) return blocked('training_mode=1');
  if (model.opsetVersion() < 7 && bn.getInt('is_test', 0) === 0) return blocked('is_test=0 (training)');
  if (bn.getInt('spatial', 1) === 0) return blocked('spatial=0 (per-element statistics)');
  for (const extra of bn.outputs.slice(1)) if (extra.uses.length || extra.isGraphOutput) return blocked(`running statistics output '${extra.name}' is used`);
  if (!bn.input(0)) return blocked('it has no input');
  const channels = bn.input(1)?.constValue?.size;
  for (let i = 1; i <= 4; i++) {
    const p = bn.input(i);
    if (!p || !p.isConstant) return blocked(`parameter ${PARAMETERS[i - 1]} ${p ? `'${p.name}' ` : ''}is not a constant`);
    if (p.constValue!.size !== channels) return blocked(`parameter ${PARAMETERS[i - 1]} has ${p.constValue!.size} values, scale has ${channels}`);
    if (!floatValues(p)) return blocked(`parameter ${PARAMETERS[i - 1]} is not float32`);
  }
  const passedOver: string[] = [];
  const intoProducer = producerProblem(bn, channels!);
  if (intoProducer === null) return { bn, strategy: 'into-producer', passedOver };
  passedOver.push(`not folded into its producer: ${intoProducer}`);
  const intoConsumer = consumerProblem(bn, channels!);
  if (intoConsumer === null) return { bn, strategy: 'into-following-conv', passedOver };
  passedOver.push(`not folded into the following op: ${intoConsumer}`);
  const rank = rankOf(bn.input(0)!);
  if (rank === null || rank < 2) return blocked(`${passedOver.join('; ')}; and its input rank is unknown, so no Mul+Add form can be built`);
  return { bn, strategy: 'to-mul-add', passedOver };
}

function parameters(bn: Node): BatchNorm {
  const scale = floatValues(bn.input(1))!, bias = floatValues(bn.input(2))!;
  const mean = floatValues(bn.input(3))!, variance = floatValues(bn.input(4))!;
  const eps = bn.getFloat('epsilon', 1e-5);
  const a = scale.map((s, i) => s / Math.sqrt(variance[i] + eps));
  const c = bias.map((b, i) => b - mean[i] * a[i]);
  return { bn, x: bn.input(0)!, a, c };
}

// --- 1. into the producer -------------------------------------------------

function producerProblem(bn: Node, channels: number): string | null {
  const x = bn.input(0)!;
  const p = x.producer;
  if (!p) return 'its input is not produced by a node';
  if (!['Conv', 'ConvTranspose', 'Gemm', 'MatMul'].includes(p.opType) || (p.domain !== '' && p.domain !== 'ai.onnx')) return `its producer is ${p.opType}`;
  if (x.uses.length !== 1 || x.isGraphOutput) return `the output of ${p.describe()} has other users`;
  const problem = weightProblem(p.input(1), p, 'weight') ?? (p.input(2) && p.opType !== 'MatMul' ? weightProblem(p.input(2), p, 'bias') : null);
  if (problem) return problem;
  const w = p.input(1)!.constValue!;
  switch (p.opType) {
    case 'Conv':
      return w.dims[0] === channels ? null : `Conv has ${w.dims[0]} output channels, the BN ${channels}`;
    case 'ConvTranspose': {
      const out = w.dims[1] * p.getInt('group', 1);
      return out === channels ? null : `ConvTranspose has ${out} output channels, the BN ${channels}`;
    }
    case 'Gemm': {
      if (w.dims.length !== 2) return 'Gemm weight is not 2-D';
      const out = p.getInt('transB', 0) ? w.dims[0] : w.dims[1];
      if (out !== channels) return `Gemm has ${out} outputs, the BN ${channels}`;
      if (p.getFloat('beta', 1) === 0 && p.input(2)) return 'Gemm beta is 0';
      const cShape = p.input(2)?.constValue?.dims;
      if (cShape && cShape.length === 2 && cShape[1] !== channels && cShape[1] !== 1) return 'Gemm bias shape does not broadcast per output';
      return null;
    }
    case 'MatMul': {
      if (w.dims.length !== 2) return 'MatMul weight is not 2-D';
      if (w.dims[1] !== channels) return `MatMul has ${w.dims[1]} outputs, the BN ${channels}`;
      const rank = p.input(0) ? rankOf(p.input(0)!) : null;
      // The BN's channel axis is 1; it is the MatMul's output axis only for 2-D inputs.
      if (rank !== 2) return rank === null ? 'MatMul input rank unknown' : `MatMul input has rank ${rank}; BN axis 1 is not its output axis`;
      return null;
    }
  }
  return 'unsupported producer';
}

/** Returns the value that now carries the BN's result. */
function foldIntoProducer(m: BatchNorm, g: Graph, ctx: PassContext): Value {
  const p = m.x.producer!;
  const { a, c } = m;
  const w = p.input(1)!;
  const wt = w.constValue!;
  const wv = Float64Array.from(wt.data as Float32Array);
  const channels = a.length;
  if (p.opType === 'Conv') {
    const per = wv.length / channels;
    for (let i = 0; i < wv.length; i++) wv[i] *= a[Math.floor(i / per)];
    setFloatInput(g, p, 1, wt.dims, wv, `${w.name}_bnfolded`);
    setBias(g, p, 2, m, `${p.name}.bias_bnfolded`);
    ctx.count('into-conv');
    return m.x;
  }
  if (p.opType === 'ConvTranspose') {
    const [cin, outPerGroup] = wt.dims;
    const group = p.getInt('group', 1);
    const inPerGroup = cin / group;
    const spatial = wv.length / (cin * outPerGroup);
    for (let ci = 0; ci < cin; ci++) {
      const grp = Math.floor(ci / inPerGroup);
      for (let j = 0; j < outPerGroup; j++) {
        const s = a[grp * outPerGroup + j];
        const base = (ci * outPerGroup + j) * spatial;
        for (let k = 0; k < spatial; k++) wv[base + k] *= s;
      }
    }
    setFloatInput(g, p, 1, wt.dims, wv, `${w.name}_bnfolded`);
    setBias(g, p, 2, m, `${p.name}.bias_bnfolded`);
    ctx.count('into-conv-transpose');
    return m.x;
  }
  if (p.opType === 'Gemm') {
    const transB = p.getInt('transB', 0) === 1;
    const [rows, cols] = wt.dims;
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) wv[r * cols + k] *= a[transB ? r : k];
    setFloatInput(g, p, 1, wt.dims, wv, `${w.name}_bnfolded`);
    const beta = p.input(2) ? p.getFloat('beta', 1) : 1;
    const cIn = p.input(2)?.constValue ?? null;
    const cDims = cIn && cIn.dims.length === 2 && cIn.dims[0] > 1 ? [...cIn.dims] : [channels];
    const cOld = cIn ? Float64Array.from(cIn.toFloat32()) : new Float64Array(1);
    const n = cDims.reduce((x, y) => x * y, 1);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const col = i % channels;
      const old = cOld.length === 1 ? cOld[0] : cOld.length === channels ? cOld[col] : cOld[i];
      out[i] = beta * old * a[col] + c[col];
    }
    setFloatInput(g, p, 2, cDims, out, `${p.name}.bias_bnfolded`);
    p.setAttr(Attribute.float('beta', 1));
    ctx.count('into-gemm');
    return m.x;
  }
  // MatMul: scale the weight's columns, then add c.
  const [rows, cols] = wt.dims;
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) wv[r * cols + k] *= a[k];
  setFloatInput(g, p, 1, wt.dims, wv, `${w.name}_bnfolded`);
  const offset = g.addInitializer(`${m.bn.name}.offset`, Tensor.float32([channels], Float32Array.from(c)));
  const add = g.addNode({ opType: 'Add', inputs: [m.x, offset], name: `${m.bn.name}_offset`, after: p });
  ctx.count('into-matmul');
  return add.output;
}

/** bias' = bias * a + c (bias absent counts as 0). */
function setBias(g: Graph, p: Node, index: number, { a, c }: BatchNorm, name: string): void {
  const old = floatValues(p.input(index));
  const values = c.map((ci, i) => (old ? old[i] * a[i] : 0) + ci);
  setFloatInput(g, p, index, [a.length], values, name);
}

// --- 2. into the following Conv --------------------------------------------

function consumerProblem(bn: Node, channels: number): string | null {
  const y = bn.output;
  const users = y.consumers();
  if (users.length !== 1 || y.uses.length !== 1 || y.isGraphOutput) return 'its output does not feed exactly one node';
  const conv = users[0];
  if (conv.opType !== 'Conv' || conv.input(0) !== y) return `it feeds ${conv.opType}, not a Conv's data input`;
  const autoPad = conv.getString('auto_pad', 'NOTSET');
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return 'the following Conv pads (auto_pad SAME)';
  if ((conv.getInts('pads') ?? []).some((p) => p !== 0)) return 'the following Conv pads its input, and padding would apply after the BN';
  const problem = weightProblem(conv.input(1), conv, 'weight') ?? (conv.input(2) ? weightProblem(conv.input(2), conv, 'bias') : null);
  if (problem) return `following Conv: ${problem}`;
  const w = conv.input(1)!.constValue!;
  const cin = w.dims[1] * conv.getInt('group', 1);
  return cin === channels ? null : `the following Conv reads ${cin} channels, the BN has ${channels}`;
}

/** The Conv now reads the BN's input directly: nothing replaces the BN's output. */
function foldIntoFollowingConv(m: BatchNorm, g: Graph): null {
  const conv = m.bn.output.consumers()[0];
  const w = conv.input(1)!;
  const wt = w.constValue!;
  const [outChannels, inPerGroup] = wt.dims;
  const group = conv.getInt('group', 1);
  const outPerGroup = outChannels / group;
  const spatial = wt.size / (outChannels * inPerGroup);
  const wv = Float64Array.from(wt.data as Float32Array);
  const bias = floatValues(conv.input(2)) ?? new Float64Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const grp = Math.floor(o / outPerGroup);
    for (let j = 0; j < inPerGroup; j++) {
      const ch = grp * inPerGroup + j;
      const base = (o * inPerGroup + j) * spatial;
      for (let k = 0; k < spatial; k++) {
        bias[o] += wv[base + k] * m.c[ch];
        wv[base + k] *= m.a[ch];
      }
    }
  }
  setFloatInput(g, conv, 1, wt.dims, wv, `${w.name}_bnfolded`);
  setFloatInput(g, conv, 2, [outChannels], bias, `${conv.name}.bias_bnfolded`);
  conv.replaceInput(0, m.x);
  return null;
}

// --- 3. Mul + Add --------------------------------------------------------------

function toMulAdd(m: BatchNorm, g: Graph, rank: number): Value {
  const dims = [m.a.length, ...Array(rank - 2).fill(1)];
  const scale = g.addInitializer(`${m.bn.name}.multiplier`, Tensor.float32(dims, Float32Array.from(m.a)));
  const offset = g.addInitializer(`${m.bn.name}.offset`, Tensor.float32(dims, Float32Array.from(m.c)));
  const mul = g.addNode({ opType: 'Mul', inputs: [m.x, scale], name: `${m.bn.name}_mul`, before: m.bn });
  const add = g.addNode({ opType: 'Add', inputs: [mul.output, offset], name: `${m.bn.name}_add`, before: m.bn });
  return add.output;
}

export const foldBatchNormPass = rulePass({
  name: 'fold-batchnorm',
  description: 'fold inference BatchNormalization into the Conv/ConvTranspose/Gemm/MatMul before it, the unpadded Conv after it, or Mul+Add',
  rules: [foldBatchNorm],
  exact: true,
});
