// Which ops quantize, and how, as onnxruntime's QDQ fusions see them
// (onnxruntime/core/optimizer/qdq_transformer). Emitting Q/DQ where no integer
// kernel exists buys nothing but conversions; leaving it off where one exists
// leaves the op in float.

import type { Node } from '../../compiler/ir/node.ts';

/** Ops with a weight operand that becomes an integer initializer + DequantizeLinear. */
export const WEIGHTED_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** Ops with an integer kernel for activations only (QLinearAdd, QLinearConcat ...). */
export const ACTIVATION_OPS = new Set(['Add', 'Mul', 'Concat', 'AveragePool', 'GlobalAveragePool', 'Sigmoid', 'LeakyRelu', 'Softmax']);

/**
 * Ops that only move or select values: onnxruntime drops the Q/DQ around them
 * when input and output share quantization parameters, so the output reuses
 * the input's parameters instead of a calibrated range.
 */
export const PASS_THROUGH_OPS = new Set(['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'MaxPool', 'Slice', 'Gather', 'Resize', 'Identity', 'Split', 'DepthToSpace', 'SpaceToDepth']);

/** Activations onnxruntime folds into the integer op before them when the output quantization clips the same way. */
export const FUSED_ACTIVATIONS = new Set(['Relu', 'Clip']);

export const DEFAULT_QUANTIZED_OPS = [...WEIGHTED_OPS, ...ACTIVATION_OPS, ...PASS_THROUGH_OPS, ...FUSED_ACTIVATIONS];

/** The data inputs of an op that carry activations (not weights, shapes or indices). */
export function activationInputs(node: Node): number[] {
  switch (node.opType) {
    case 'Conv': case 'ConvTranspose': case 'Gemm':
      return [0];
    case 'MatMul':
      return node.input(1)?.isConstant ? [0] : [0, 1];
    case 'Add': case 'Mul':
      return [0, 1];
    case 'Concat':
      return node.inputs.map((_, i) => i);
    case 'Clip':
      return [0];
    default:
      return [0];
  }
}

/**
 * The axis of the weight that indexes output channels: per-channel scales go
 * along it. ConvTranspose stores [C_in, C_out/group, k...]; Gemm's B is [K, N]
 * or, with transB, [N, K]; MatMul's B is [..., K, N].
 */
export function weightChannelAxis(node: Node, weightRank: number): number {
  switch (node.opType) {
    case 'ConvTranspose': return 1;
    case 'Gemm': return node.getInt('transB', 0) ? 0 : 1;
    case 'MatMul': return weightRank - 1;
    default: return 0;
  }
}

/** Index of the bias input that becomes int32, if the op has one. */
export function biasInput(node: Node): number | null {
  if (node.opType === 'Conv' || node.opType === 'ConvTranspose' || node.opType === 'Gemm') return node.input(2) ? 2 : null;
  return null;
}
