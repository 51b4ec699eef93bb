// The rank of a value when the model does not declare it: read through the
// ops whose output rank follows from an input or a weight.

import type { Value } from '../../compiler/ir/value.ts';

const SAME_RANK = new Set([
  'Relu', 'PRelu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu',
  'BatchNormalization', 'Dropout', 'Identity', 'Mul', 'Add', 'Sub', 'Div', 'Neg', 'Abs', 'Exp',
  'QuantizeLinear', 'DequantizeLinear', 'InstanceNormalization', 'LRN', 'Softmax', 'Pad',
  'Concat', 'Slice', 'Resize', 'Upsample', 'Sqrt', 'Pow', 'Cast', 'Softplus', 'Mish', 'Gelu', 'Erf',
  'LayerNormalization', 'HardMax', 'LogSoftmax', 'Where', 'Max', 'Min', 'Floor', 'Ceil', 'Round',
]);

const BROADCASTING = new Set(['Add', 'Mul', 'Sub', 'Div', 'Pow', 'Max', 'Min', 'Where']);

export function rankOf(v: Value, depth = 0): number | null {
  if (v.shape) return v.shape.length;
  if (v.constValue) return v.constValue.dims.length;
  const p = v.producer;
  if (!p || depth > 64) return null;
  if (p.opType === 'Conv' || p.opType === 'ConvTranspose') {
    const w = p.input(1)?.constValue;
    if (w) return w.dims.length;
    const k = p.getInts('kernel_shape');
    return k ? k.length + 2 : null;
  }
  if (p.opType === 'MaxPool' || p.opType === 'AveragePool') {
    const k = p.getInts('kernel_shape');
    return k ? k.length + 2 : null;
  }
  if (p.opType === 'GlobalAveragePool' || p.opType === 'GlobalMaxPool') return p.input(0) ? rankOf(p.input(0)!, depth + 1) : null;
  if (p.opType === 'Gemm') return 2;
  if (p.opType === 'Flatten') return 2;
  if (p.opType === 'MatMul') {
    const ranks = [p.input(0), p.input(1)].map((x) => (x ? rankOf(x, depth + 1) : null));
    return ranks.some((r) => r === null) ? null : Math.max(...(ranks as number[]));
  }
  if (p.opType === 'Reshape') return p.input(1)?.constValue?.size ?? null;
  if (p.opType === 'Transpose') {
    const perm = p.getInts('perm');
    return perm ? perm.length : p.input(0) ? rankOf(p.input(0)!, depth + 1) : null;
  }
  if (p.opType === 'Unsqueeze' || p.opType === 'Squeeze') {
    const axes = p.input(1)?.constValue?.size ?? p.getInts('axes')?.length;
    const inner = p.input(0) ? rankOf(p.input(0)!, depth + 1) : null;
    if (axes === undefined || inner === null) return null;
    return p.opType === 'Unsqueeze' ? inner + axes : inner - axes;
  }
  if (p.opType.startsWith('Reduce') && p.getInt('keepdims', 1) === 1) return p.input(0) ? rankOf(p.input(0)!, depth + 1) : null;
  if (SAME_RANK.has(p.opType) && p.input(0)) {
    // Broadcasting ops have the larger rank of their inputs.
    const inputs = BROADCASTING.has(p.opType) ? p.inputs.filter((x) => x !== null) : [p.input(0)];
    const ranks = inputs.map((x) => rankOf(x!, depth + 1));
    if (ranks.some((r) => r === null)) return null;
    return Math.max(...(ranks as number[]));
  }
  return null;
}
