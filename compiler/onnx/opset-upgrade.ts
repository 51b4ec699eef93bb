// Raising a model's default-domain opset. Quantization needs per-axis
// QuantizeLinear (13) and, for int4/int16 containers, opset 21; many face
// models are exported at opset 9-12. Most ops keep their meaning across those
// versions; the ones that moved an attribute into an input are converted; any
// op whose meaning changed in a way we cannot convert stops the upgrade with an
// error naming it, so a model is never silently changed.

import type { Int64 } from '../ir/attribute.ts';
import type { Model } from '../ir/model.ts';
import type { Node } from '../ir/node.ts';
import { Tensor } from '../ir/tensor.ts';
import { UserError } from '../errors.ts';

/** Ops whose signature and meaning are unchanged (or only extended) from opset 7 to 21. */
const STABLE = new Set([
  'Abs', 'Acos', 'Acosh', 'And', 'ArgMax', 'ArgMin', 'Asin', 'Asinh', 'Atan', 'Atanh', 'AveragePool', 'BitShift', 'Cast',
  'CastLike', 'Ceil', 'Celu', 'Compress', 'Concat', 'ConcatFromSequence', 'Constant', 'ConstantOfShape', 'Conv', 'ConvInteger',
  'ConvTranspose', 'Cos', 'Cosh', 'CumSum', 'DepthToSpace', 'DequantizeLinear', 'Det', 'Einsum', 'Elu', 'Equal', 'Erf', 'Exp',
  'Expand', 'EyeLike', 'Flatten', 'Floor', 'GRU', 'Gather', 'GatherElements', 'GatherND', 'Gemm', 'GlobalAveragePool',
  'GlobalLpPool', 'GlobalMaxPool', 'Greater', 'GreaterOrEqual', 'HardSigmoid', 'HardSwish', 'Identity', 'InstanceNormalization',
  'IsInf', 'IsNaN', 'LRN', 'LSTM', 'LeakyRelu', 'Less', 'LessOrEqual', 'Log', 'LpNormalization', 'LpPool', 'MatMul',
  'MatMulInteger', 'Max', 'MaxPool', 'MaxRoiPool', 'MaxUnpool', 'Mean', 'MeanVarianceNormalization', 'Min', 'Mish', 'Mod', 'Neg',
  'NonMaxSuppression', 'NonZero', 'Not', 'OneHot', 'Or', 'PRelu', 'Pow', 'QLinearConv', 'QLinearMatMul', 'QuantizeLinear', 'RNN',
  'Range', 'Reciprocal', 'Relu', 'Reshape', 'Round', 'ScatterElements', 'ScatterND', 'Selu', 'Shape', 'Shrink', 'Sigmoid', 'Sign',
  'Sin', 'Sinh', 'Size', 'Softplus', 'Softsign', 'SpaceToDepth', 'Sqrt', 'Sum', 'Tan', 'Tanh', 'ThresholdedRelu', 'Transpose',
  'Trilu', 'Where', 'Xor', 'Add', 'Sub', 'Mul', 'Div', 'BatchNormalization', 'Dropout', 'Gelu', 'LayerNormalization',
]);

interface Change {
  /** The opset where the op changed. */
  version: number;
  /** Why this node cannot be converted, or null. */
  check?: (node: Node) => string | null;
  /** Rewrites the node to the new form. */
  apply?: (node: Node, model: Model) => void;
}

const CHANGED: Record<string, Change[]> = {
  Clip: [{ version: 11, apply: attributesToInputs([['min', 'float'], ['max', 'float']]) }],
  Pad: [{ version: 11, check: padCheck, apply: padToInputs }],
  Slice: [{ version: 10, apply: attributesToInputs([['starts', 'ints'], ['ends', 'ints'], ['axes', 'ints']]) }],
  Squeeze: [{ version: 13, apply: attributesToInputs([['axes', 'ints']]) }],
  Unsqueeze: [{ version: 13, apply: attributesToInputs([['axes', 'ints']]) }],
  ReduceSum: [{ version: 13, apply: attributesToInputs([['axes', 'ints']]) }],
  Split: [{ version: 13, apply: attributesToInputs([['split', 'ints']]) }],
  TopK: [{ version: 10, apply: attributesToInputs([['k', 'int']]) }],
  Softmax: [{ version: 13, check: lastAxisOnly }],
  LogSoftmax: [{ version: 13, check: lastAxisOnly }],
  Hardmax: [{ version: 13, check: lastAxisOnly }],
  Upsample: [{ version: 10, check: () => 'Upsample was removed in opset 10 (it needs a rewrite to Resize)' }],
  Resize: [{ version: 11, check: () => 'Resize changed its coordinate semantics in opset 11' }],
  Scatter: [{ version: 11, check: () => 'Scatter was removed in opset 11' }],
};
for (const reduce of ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']) {
  CHANGED[reduce] = [{ version: 18, apply: attributesToInputs([['axes', 'ints']]) }];
}

/** Legacy attributes that later opsets dropped without a change of meaning (spatial=1, is_test=1, broadcast=1). */
const DROPPED_ATTRIBUTES = ['consumed_inputs', 'is_test', 'spatial', 'broadcast'];

/** Why the model cannot be raised to `target`, or null. Does not modify it. */
export function opsetUpgradeProblem(model: Model, target: number): string | null {
  const from = model.opsetVersion('');
  if (from >= target) return null;
  for (const node of model.graph.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    const prefix = `cannot raise the opset from ${from} to ${target}: ${node.describe()}`;
    if (node.hasSubgraphs) return `${prefix} has subgraphs, which quantface does not upgrade`;
    const changes = changesBetween(node, from, target);
    // An op listed in CHANGED keeps its meaning between the versions where it changed.
    if (!STABLE.has(node.opType) && !CHANGED[node.opType]) return `${prefix}: quantface does not know whether it keeps its meaning`;
    if (node.opType === 'BatchNormalization' && node.getInt('spatial', 1) === 0) return `${prefix} uses spatial=0, removed in opset 9`;
    if (node.attr('broadcast') && node.attr('axis') && ['Add', 'Sub', 'Mul', 'Div', 'Gemm'].includes(node.opType)) return `${prefix} uses legacy axis broadcasting`;
    for (const change of changes) {
      const reason = change.check?.(node) ?? null;
      if (reason) return `${prefix}: ${reason}`;
    }
  }
  return null;
}

/** Raises the default-domain opset to `target`, converting what changed; throws a UserError naming the op that blocks it. */
export function raiseOpset(model: Model, target: number): void {
  const from = model.opsetVersion('');
  if (from >= target) return;
  const problem = opsetUpgradeProblem(model, target);
  if (problem) throw new UserError(problem);
  for (const node of model.graph.nodes.toArray()) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    for (const a of DROPPED_ATTRIBUTES) node.removeAttr(a);
    for (const change of changesBetween(node, from, target)) change.apply?.(node, model);
  }
  model.opsetImports.set(model.opsetImports.has('ai.onnx') ? 'ai.onnx' : '', target);
  // The IR version that introduced the target opset: 13 needs IR 7, 15 IR 8, 21 IR 10.
  model.irVersion = Math.max(model.irVersion, target >= 21 ? 10 : target >= 15 ? 8 : 7);
}

function changesBetween(node: Node, from: number, to: number): Change[] {
  return (CHANGED[node.opType] ?? []).filter((c) => c.version > from && c.version <= to);
}

/** Moves attributes into constant inputs 1, 2, ... in the given order. */
function attributesToInputs(attrs: [string, 'float' | 'ints' | 'int'][]): (node: Node, model: Model) => void {
  return (node, model) => {
    const inputs = [node.input(0)];
    for (const [name, kind] of attrs) {
      const a = node.attr(name);
      if (!a) {
        inputs.push(null);
        continue;
      }
      const tensor = kind === 'float'
        ? Tensor.float32([], [a.value as number])
        : kind === 'int'
          ? Tensor.int64([1], [a.value as Int64])
          : Tensor.int64([(a.value as Int64[]).length], a.value as Int64[]);
      inputs.push(model.graph.addInitializer(`${node.name}_${name}`, tensor));
      node.removeAttr(name);
    }
    node.setInputs(inputs);
    node.trimInputs();
  };
}

function padCheck(node: Node): string | null {
  const mode = node.getString('mode', 'constant');
  return ['constant', 'reflect', 'edge'].includes(mode) ? null : `unknown pad mode '${mode}'`;
}

function padToInputs(node: Node, model: Model): void {
  const g = model.graph;
  const pads = node.getInts('pads') ?? node.getInts('paddings') ?? [];
  const value = node.getFloat('value', 0);
  const inputs = [node.input(0), g.addInitializer(`${node.name}_pads`, Tensor.int64([pads.length], pads))];
  if (value !== 0) inputs.push(g.addInitializer(`${node.name}_value`, Tensor.float32([], [value])));
  node.setInputs(inputs);
  for (const a of ['pads', 'paddings', 'value']) node.removeAttr(a);
}

/** Softmax before 13 flattens to 2-D at `axis`; from 13 it works on one axis. Same result only on the last axis. */
function lastAxisOnly(node: Node): string | null {
  const rank = node.input(0)?.shape?.length;
  const axis = node.getInt('axis', 1);
  if (rank === undefined) return 'its input rank is unknown, so the change of axis semantics in opset 13 cannot be checked';
  if (axis === -1 || axis === rank - 1) return null;
  return `axis=${axis} on a rank-${rank} input means something else from opset 13 on`;
}
