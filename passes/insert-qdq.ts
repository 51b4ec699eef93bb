// insert-qdq: the float model becomes a QDQ model onnxruntime runs in integers.
//
//   Before:  %y = Conv(%x, %W, %b);  %z = PRelu(%y, %s);  %o = Conv(%z, %W2, %b2)
//   After:   %xq = QuantizeLinear(%x, sx, zx);  %xd = DequantizeLinear(%xq, sx, zx)
//            %Wd = DequantizeLinear(W_int8, sW[c], 0) {axis=0}
//            %bd = DequantizeLinear(b_int32, sx*sW[c], 0) {axis=0}
//            %y  = Conv(%xd, %Wd, %bd);  %yq = QuantizeLinear(%y, sy, zy);  %yd = DequantizeLinear(%yq, ...)
//            %z  = PRelu(%yd, %s);       %zq = QuantizeLinear(%z, ...);       %zd = ...
//            %o  = Conv(%zd, ...)        ...
//
// DQ -> Conv -> Q is what onnxruntime fuses into QLinearConv; ops without an
// integer kernel (PRelu) stay float between a DQ and a Q. Weights are integer
// initializers (per output channel by default), biases int32 with scale
// s_input * s_weight. Activations below 8 bits are clamped in the integer
// domain so they take 2^bits values. Ranges come from the calibrate pass
// (statistics, at each tensor's bit width) or a fixed table.

import { UserError } from '../compiler/errors.ts';
import { DataType } from '../compiler/ir/data-type.ts';
import type { Model } from '../compiler/ir/model.ts';
import type { Node } from '../compiler/ir/node.ts';
import { Attribute } from '../compiler/ir/attribute.ts';
import type { Value } from '../compiler/ir/value.ts';
import { raiseOpset } from '../compiler/onnx/opset-upgrade.ts';
import type { Pass, PassContext } from '../compiler/pass-manager/pass.ts';
import { PER_AXIS_OPSET, QuantParams, QuantScheme, SUB_BYTE_AND_16BIT_OPSET, containerFor, paramsForRange, quantizeWeight, roundHalfEven } from '../compiler/quant/scheme.ts';
import type { QuantizedLayer, QuantizationSummary } from '../compiler/quant/quantization-summary.ts';
import { activationRange } from './quantize/activation-ranges.ts';
import { ActivationParams, emitActivationQdq, emitWeightDq } from './quantize/emit-qdq.ts';
import { biasInput, weightChannelAxis } from './quantize/op-support.ts';
import { DEFAULT_QUANTIZATION, LayerOverride, QuantizationConfig, effectiveWeightBits } from './quantize/quantization-config.ts';
import { QuantizationPlan, planQuantization } from './quantize/quantization-plan.ts';

export const QUANTIZATION_OPTION = 'quantization';
export const QUANTIZATION_SUMMARY_ARTIFACT = 'quantization-summary';
/**
 * Map<weight name, ChosenWeightCodes>: codes a rounding pass (round-weights)
 * chose instead of round-to-nearest. Used when bit width and axis match.
 */
export const WEIGHT_CODES_ARTIFACT = 'weight-codes';

export interface ChosenWeightCodes {
  codes: Int32Array;
  params: QuantParams;
  axis: number | null;
  bits: number;
}
export type { QuantizationSummary };

/** Per-layer overrides a pass chose (mixed-precision): applied after the user's. */
export const LAYER_OVERRIDES_ARTIFACT = 'layer-overrides';

export function quantizationConfigOf(ctx: PassContext): QuantizationConfig {
  const config = { ...DEFAULT_QUANTIZATION, ...((ctx.options.get(QUANTIZATION_OPTION) as Partial<QuantizationConfig>) ?? {}) };
  const chosen = ctx.artifacts.get(LAYER_OVERRIDES_ARTIFACT) as LayerOverride[] | undefined;
  return chosen ? { ...config, layers: [...config.layers, ...chosen] } : config;
}

export const insertQdqPass: Pass = {
  name: 'insert-qdq',
  description: 'quantize weights to integer initializers + DequantizeLinear and activations with QuantizeLinear/DequantizeLinear pairs',
  run(model, ctx) {
    const config = quantizationConfigOf(ctx);
    const plan = planQuantization(model, config);
    const summary: QuantizationSummary = { layers: [], activationTensors: {}, floatOps: Object.fromEntries(plan.floatOps), opset: model.opsetVersion() };
    ctx.artifacts.set(QUANTIZATION_SUMMARY_ARTIFACT, summary);
    if (plan.nodes.size === 0) {
      ctx.logger.warn('insert-qdq: the model has no op quantface can quantize; it is left unchanged');
      return false;
    }
    raiseOpset(model, requiredOpset(plan, config));
    summary.opset = model.opsetVersion();

    const activationParams = new Map<Value, ActivationParams>();
    const actSigned = config.symmetricActivations;
    for (const [v, t] of plan.tensors) {
      if (t.sameParamsAs) continue;
      activationParams.set(v, activationParamsFor(ctx, v, t.bits, actSigned, model, config));
    }
    for (const [v, t] of plan.tensors) {
      if (!t.sameParamsAs) continue;
      let source: Value = t.sameParamsAs;
      while (plan.tensors.get(source)?.sameParamsAs) source = plan.tensors.get(source)!.sameParamsAs!;
      activationParams.set(v, activationParams.get(source)!);
    }

    // Weights first: bias scales need the input's activation scale.
    const quantizedWeights = new Map<Value, Value>();
    const chosen = (ctx.artifacts.get(WEIGHT_CODES_ARTIFACT) as Map<string, ChosenWeightCodes> | undefined) ?? new Map();
    for (const [node, { role, settings }] of plan.nodes) {
      if (role === 'weighted') summary.layers.push(quantizeWeights(model, node, settings.weightBits, settings.perChannel, config, activationParams, quantizedWeights, plan, chosen));
    }
    for (const [constant, bits] of plan.constants) quantizeConstantOperand(model, constant, bits, config);
    if (config.quantizePReluSlope) quantizePReluSlopes(model, config, plan);

    for (const [v, t] of plan.tensors) {
      emitActivationQdq(model.graph, v, activationParams.get(v)!);
      summary.activationTensors[`${t.bits}-bit`] = (summary.activationTensors[`${t.bits}-bit`] ?? 0) + 1;
    }
    ctx.count('weights', summary.layers.length);
    ctx.count('activations', plan.tensors.size);
    return true;
  },
};

function requiredOpset(plan: QuantizationPlan, config: QuantizationConfig): number {
  let needed = PER_AXIS_OPSET;
  for (const { settings } of plan.nodes.values()) {
    if (settings.weightBits > 8 || (settings.actBits > 8 && !config.weightOnly)) needed = SUB_BYTE_AND_16BIT_OPSET;
    if (config.packInt4 && settings.weightBits <= 4) needed = SUB_BYTE_AND_16BIT_OPSET;
  }
  return needed;
}

function activationParamsFor(ctx: PassContext, v: Value, bits: number, signed: boolean, model: Model, config: QuantizationConfig): ActivationParams {
  const scheme: QuantScheme = { bits, symmetric: config.symmetricActivations, signed, perChannel: false };
  // A probability's range is [0, 1] whatever the calibration happened to see:
  // a class score calibrated on a few samples would clip on the next one.
  const producer = v.producer?.opType;
  const range = producer === 'Softmax' || producer === 'Sigmoid' ? { min: 0, max: 1 } : activationRange(ctx, v.name, bits, scheme.symmetric);
  if (!range) throw new UserError(`no calibration range for tensor '${v.name}': run calibration first (quantface calibrate / compile), or give its range`);
  const container = containerFor(bits, signed, model.opsetVersion(), false);
  const p = paramsForRange(range.min, range.max, scheme, container);
  return { ...p, container, bits };
}

function weightScheme(bits: number, perChannel: boolean, config: QuantizationConfig): QuantScheme {
  return { bits, symmetric: config.symmetricWeights, signed: config.symmetricWeights, perChannel };
}

/** The stored bit width, container and axis a weight of `node` gets. */
export function weightLayout(model: Model, node: Node, bits: number, perChannel: boolean, config: QuantizationConfig): { stored: number; scheme: QuantScheme; container: DataType; axis: number | null } {
  const stored = config.weightOnly ? bits : effectiveWeightBits(bits, config);
  const scheme = weightScheme(stored, perChannel, config);
  // The opset insert-qdq will raise the model to, when this is asked before it runs.
  const opset = config.packInt4 ? SUB_BYTE_AND_16BIT_OPSET : Math.max(model.opsetVersion(), PER_AXIS_OPSET);
  const container = containerFor(stored, scheme.signed, opset, config.packInt4);
  const axis = perChannel ? weightChannelAxis(node, node.input(1)!.constValue!.dims.length) : null;
  return { stored, scheme, container, axis };
}

function quantizeWeights(model: Model, node: Node, bits: number, perChannel: boolean, config: QuantizationConfig, activations: Map<Value, ActivationParams>, done: Map<Value, Value>, plan: QuantizationPlan, chosen: Map<string, ChosenWeightCodes>): QuantizedLayer {
  const g = model.graph;
  const w = node.input(1)!;
  const t = w.constValue!;
  const { stored, scheme, container, axis } = weightLayout(model, node, bits, perChannel, config);
  let params: QuantParams;
  const key = done.get(w);
  if (key && key.producer?.opType === 'DequantizeLinear') {
    node.replaceInput(1, key);
    params = paramsOfDq(key.producer);
  } else {
    const given = chosen.get(w.name);
    const q = given && given.bits === stored && given.axis === axis && given.params.container === container ? given : quantizeWeight(t.toFloat32(), t.dims, axis, scheme, container);
    params = q.params;
    const dq = emitWeightDq(g, node, 1, q.codes, t.dims, params, axis, w.name);
    done.set(w, dq);
    if (!w.uses.length && !w.isGraphOutput) g.removeInitializer(w);
  }
  const input = node.input(0)!;
  const inputParams = activations.get(input);
  let biasParameters = 0;
  const b = biasInput(node);
  if (b !== null && inputParams && node.input(b)?.isConstant) {
    biasParameters = quantizeBias(model, node, b, inputParams.scale, params, axis);
  }
  return {
    node: node.name,
    opType: node.opType,
    weight: w.name,
    parameters: t.size,
    weightBits: bits,
    storedWeightBits: stored,
    perChannel: axis !== null,
    container: DataType[container].toLowerCase(),
    biasParameters,
    inputBits: plan.tensors.get(input)?.bits ?? null,
    outputBits: plan.tensors.get(node.outputs[0])?.bits ?? null,
  };
}

function paramsOfDq(dq: Node): QuantParams {
  const scale = dq.input(1)!.constValue!.toFloat32();
  const zp = dq.input(2)!.constValue!;
  return { scale, zeroPoint: Int32Array.from(zp.data as ArrayLike<number>), qmin: 0, qmax: 0, container: zp.dataType };
}

/** Bias as int32 codes with scale s_input * s_weight[c]: exactly what the integer kernel adds. */
function quantizeBias(model: Model, node: Node, index: number, inputScale: number, weight: QuantParams, axis: number | null): number {
  const g = model.graph;
  const bias = node.input(index)!;
  // A Gemm bias broadcast over rows ([M, N]) has no int32 form the integer kernel takes.
  if (node.opType === 'Gemm' && bias.constValue!.dims.length !== 1) return 0;
  let values = bias.constValue!.toFloat32();
  if (node.opType === 'Gemm') {
    // The integer Gemm needs beta = 1: fold beta into the bias.
    const beta = node.getFloat('beta', 1);
    if (beta !== 1) values = values.map((v) => v * beta);
  }
  const channels = values.length;
  const scale = new Float32Array(channels);
  const codes = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = Math.fround(inputScale * weight.scale[axis === null ? 0 : c]);
    scale[c] = s;
    codes[c] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, roundHalfEven(values[c] / s)));
  }
  const params: QuantParams = { scale, zeroPoint: new Int32Array(channels), qmin: -(2 ** 31), qmax: 2 ** 31 - 1, container: DataType.INT32 };
  emitWeightDq(g, node, index, codes, [channels], params, 0, bias.name);
  if (node.opType === 'Gemm') node.setAttr(Attribute.float('beta', 1));
  if (!bias.uses.length && !bias.isGraphOutput) g.removeInitializer(bias);
  return channels;
}

/** A constant operand of an integer Add/Mul/Concat: per-tensor, in the activation container. */
function quantizeConstantOperand(model: Model, v: Value, bits: number, config: QuantizationConfig): void {
  const t = v.constValue!;
  const scheme: QuantScheme = { bits, symmetric: config.symmetricActivations, signed: config.symmetricActivations, perChannel: false };
  const container = containerFor(bits, scheme.signed, model.opsetVersion(), false);
  const q = quantizeWeight(t.toFloat32(), t.dims, null, scheme, container);
  for (const c of v.consumers()) {
    c.inputs.forEach((input, i) => {
      if (input === v) emitWeightDq(model.graph, c, i, q.codes, t.dims, q.params, null, v.name);
    });
  }
  if (!v.uses.length && !v.isGraphOutput) model.graph.removeInitializer(v);
}

/** QuantFace quantizes PReLU slopes with the activation bits (per channel, symmetric). */
function quantizePReluSlopes(model: Model, config: QuantizationConfig, plan: QuantizationPlan): void {
  for (const node of model.graph.nodes.toArray()) {
    if (node.opType !== 'PRelu') continue;
    const slope = node.input(1);
    if (!slope?.isConstant || slope.constValue!.dataType !== DataType.FLOAT) continue;
    const bits = plan.tensors.get(node.input(0)!)?.bits ?? config.actBits;
    const t = slope.constValue!;
    const scheme: QuantScheme = { bits, symmetric: true, signed: true, perChannel: t.dims[0] > 1 };
    const container = containerFor(bits, true, model.opsetVersion(), false);
    const axis = scheme.perChannel ? 0 : null;
    const q = quantizeWeight(t.toFloat32(), t.dims, axis, scheme, container);
    emitWeightDq(model.graph, node, 1, q.codes, t.dims, q.params, axis, slope.name);
    if (!slope.uses.length) model.graph.removeInitializer(slope);
  }
}
