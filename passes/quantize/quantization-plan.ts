// Which nodes run quantized and which activation tensors get a Q/DQ pair, at
// what bit width. Decided before anything is emitted, so the emitters never
// have to guess about a neighbour.

import { DataType } from '../../compiler/ir/data-type.ts';
import type { Model } from '../../compiler/ir/model.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { topologicalOrder } from '../../compiler/ir/topological-sort.ts';
import type { Value } from '../../compiler/ir/value.ts';
import { ACTIVATION_OPS, DEFAULT_QUANTIZED_OPS, FUSED_ACTIVATIONS, PASS_THROUGH_OPS, WEIGHTED_OPS, activationInputs } from './op-support.ts';
import { LayerSettings, QuantizationConfig, layerSettings } from './quantization-config.ts';

export type Role = 'weighted' | 'activation' | 'pass-through' | 'fused-activation';

export interface PlannedNode {
  role: Role;
  settings: LayerSettings;
}

export interface PlannedTensor {
  bits: number;
  /** Pass-through outputs reuse their input's parameters so onnxruntime can drop the Q/DQ around the op. */
  sameParamsAs?: Value;
}

export interface QuantizationPlan {
  nodes: Map<Node, PlannedNode>;
  tensors: Map<Value, PlannedTensor>;
  /** Constant operands of activation ops (an Add's bias vector): quantized per tensor. */
  constants: Map<Value, number>;
  /** Op types that stay float, with counts: onnxruntime has no integer kernel for them or they were excluded. */
  floatOps: Map<string, number>;
}

export function planQuantization(model: Model, config: QuantizationConfig): QuantizationPlan {
  const order = topologicalOrder(model.graph);
  const quantizable = new Set(config.ops ?? DEFAULT_QUANTIZED_OPS);
  const weighted = order.filter((n) => WEIGHTED_OPS.has(n.opType) && hasConstantWeight(n));
  const firstOrLast = new Set([weighted[0], weighted[weighted.length - 1]].filter(Boolean));
  const plan: QuantizationPlan = { nodes: new Map(), tensors: new Map(), constants: new Map(), floatOps: new Map() };
  const fusedAway = new Set<Value>();

  for (const node of order) {
    const standard = node.domain === '' || node.domain === 'ai.onnx';
    const settings = layerSettings(node, config, firstOrLast.has(node));
    const fusedPRelu = config.fusePRelu && node.opType === 'PRelu';
    const role = standard && (quantizable.has(node.opType) || fusedPRelu) ? roleOf(node, plan, config) : null;
    if (!role || !settings.quantized) {
      const key = role ? `${node.opType} (excluded)` : node.opType;
      if (!['QuantizeLinear', 'DequantizeLinear', 'Constant'].includes(node.opType)) plan.floatOps.set(key, (plan.floatOps.get(key) ?? 0) + 1);
      continue;
    }
    if (config.weightOnly && role !== 'weighted') continue;
    plan.nodes.set(node, { role, settings });
    // Conv -> Relu: onnxruntime folds the Relu into the integer Conv when the
    // Relu's output quantization clips at zero, so the Conv output needs no Q/DQ.
    // With fusePRelu, Conv -> PRelu is treated the same way: one rounding after
    // the PRelu instead of two (onnxruntime then runs that Conv in float).
    if (role === 'fused-activation') {
      const x = node.input(0)!;
      const producer = x.producer && plan.nodes.get(x.producer);
      if (producer && (producer.role === 'weighted' || producer.role === 'activation') && x.uses.length === 1 && !x.isGraphOutput) fusedAway.add(x);
    }
  }
  if (config.weightOnly) return plan;

  const want = (v: Value | null, bits: number) => {
    if (!v || !isFloatActivation(v) || fusedAway.has(v)) return;
    const t = plan.tensors.get(v);
    plan.tensors.set(v, { ...t, bits: Math.max(t?.bits ?? 0, bits) });
  };
  for (const [node, { role, settings }] of plan.nodes) {
    for (const i of activationInputs(node)) {
      const v = node.input(i);
      if (v?.isConstant && isFloat(v)) {
        if (role === 'activation') plan.constants.set(v, Math.max(plan.constants.get(v) ?? 0, settings.actBits));
        continue;
      }
      want(v, settings.actBits);
    }
    for (const o of node.outputs) want(o, settings.actBits);
  }
  for (const [node, { role }] of plan.nodes) {
    if (role !== 'pass-through') continue;
    const input = node.input(0)!;
    for (const o of node.outputs) {
      const t = plan.tensors.get(o);
      if (t && plan.tensors.has(input)) t.sameParamsAs = input;
    }
  }
  return plan;
}

function roleOf(node: Node, plan: QuantizationPlan, config: QuantizationConfig): Role | null {
  if (WEIGHTED_OPS.has(node.opType)) {
    if (hasConstantWeight(node)) return 'weighted';
    // MatMul of two activations has an integer kernel too (QLinearMatMul).
    return node.opType === 'MatMul' ? 'activation' : null;
  }
  if (ACTIVATION_OPS.has(node.opType)) return 'activation';
  const producer = node.input(0)?.producer;
  const inputQuantized = !!producer && plan.nodes.has(producer);
  if (PASS_THROUGH_OPS.has(node.opType)) return inputQuantized ? 'pass-through' : null;
  if (FUSED_ACTIVATIONS.has(node.opType) || (config.fusePRelu && node.opType === 'PRelu')) return inputQuantized ? 'fused-activation' : null;
  return null;
}

export function hasConstantWeight(node: Node): boolean {
  const w = node.input(1);
  return !!w && w.isConstant && w.constValue!.dataType === DataType.FLOAT;
}

function isFloat(v: Value): boolean {
  const t = v.constValue?.dataType ?? v.tensorType?.elemType;
  return t === undefined || t === DataType.FLOAT;
}

function isFloatActivation(v: Value): boolean {
  return !v.isConstant && isFloat(v) && v.name !== '';
}
