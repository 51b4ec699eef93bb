// Emitting the quantized form: QuantizeLinear -> [integer Clip] ->
// DequantizeLinear after an activation (one pair, shared by all consumers),
// and integer initializers + DequantizeLinear for weights and biases.

import { Attribute } from '../../compiler/ir/attribute.ts';
import { DataType, TypedArray } from '../../compiler/ir/data-type.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { Tensor } from '../../compiler/ir/tensor.ts';
import type { Value } from '../../compiler/ir/value.ts';
import { QuantParams, containerRange } from '../../compiler/quant/scheme.ts';

export interface ActivationParams {
  scale: number;
  zeroPoint: number;
  container: DataType;
  /** Codes the bit width allows; narrower than the container's for sub-byte bit widths. */
  qmin: number;
  qmax: number;
  bits: number;
}

/** Typed array for integer codes in a container type. */
export function codesArray(container: DataType, values: ArrayLike<number>): TypedArray {
  switch (container) {
    case DataType.INT8: case DataType.INT4: return Int8Array.from(values);
    case DataType.UINT8: case DataType.UINT4: return Uint8Array.from(values);
    case DataType.INT16: return Int16Array.from(values);
    case DataType.UINT16: return Uint16Array.from(values);
    case DataType.INT32: return Int32Array.from(values);
    default: throw new Error(`not an integer container: ${container}`);
  }
}

/**
 * Quantizes activation `v` once: every consumer (and the graph output, which
 * keeps its name) reads the dequantized value.
 */
export function emitActivationQdq(graph: Graph, v: Value, p: ActivationParams): { quantize: Node; dequantize: Node } {
  const uses = v.uses.filter((u) => u.index >= 0);
  const base = v.name;
  const scale = graph.addInitializer(`${base}_scale`, Tensor.float32([], [p.scale]));
  const zeroPoint = graph.addInitializer(`${base}_zero_point`, Tensor.fromTyped(p.container, [], codesArray(p.container, [p.zeroPoint])));
  const anchor = v.producer ?? undefined;
  const placement = anchor ? { after: anchor } : graph.nodes.first ? { before: graph.nodes.first } : {};
  const quantize = graph.addNode({ opType: 'QuantizeLinear', inputs: [v, scale, zeroPoint], name: `${base}_QuantizeLinear`, ...placement });
  quantize.output.type = { tensor: { elemType: p.container, shape: v.shape } };
  let codes = quantize.output;
  const [cmin, cmax] = containerRange(p.container);
  if (p.qmin > cmin || p.qmax < cmax) {
    // QuantizeLinear saturates at the container's range only; an n-bit
    // activation must take 2^n values, so clamp the codes (cheap, in integers,
    // and it leaves the integer kernels around it fusable).
    const lo = graph.addInitializer(`${base}_code_min`, Tensor.fromTyped(p.container, [], codesArray(p.container, [p.qmin])));
    const hi = graph.addInitializer(`${base}_code_max`, Tensor.fromTyped(p.container, [], codesArray(p.container, [p.qmax])));
    const clip = graph.addNode({ opType: 'Clip', inputs: [codes, lo, hi], name: `${base}_clamp_${p.bits}bit`, after: quantize });
    clip.output.type = quantize.output.type;
    codes = clip.output;
  }
  const dequantize = graph.addNode({ opType: 'DequantizeLinear', inputs: [codes, scale, zeroPoint], name: `${base}_DequantizeLinear`, after: codes.producer! });
  dequantize.output.type = { tensor: { elemType: DataType.FLOAT, shape: v.shape } };
  for (const u of uses) u.node.replaceInput(u.index, dequantize.output);
  const outputIndex = graph.outputs.indexOf(v);
  if (outputIndex >= 0) {
    graph.outputs[outputIndex] = dequantize.output;
    v.name = graph.freshName(`${base}_float`);
    dequantize.output.name = base;
    dequantize.output.type = v.type;
  }
  return { quantize, dequantize };
}

/** Replaces a constant input of `node` with integer codes + DequantizeLinear. */
export function emitWeightDq(graph: Graph, node: Node, index: number, codes: ArrayLike<number>, dims: readonly number[], params: QuantParams, axis: number | null, name: string): Value {
  const weight = graph.addInitializer(`${name}_quantized`, Tensor.fromTyped(params.container, dims, codesArray(params.container, codes)));
  const perAxis = axis !== null && params.scale.length > 1;
  const scale = graph.addInitializer(`${name}_scale`, Tensor.float32(perAxis ? [params.scale.length] : [], params.scale));
  const zeroPoint = graph.addInitializer(`${name}_zero_point`, Tensor.fromTyped(params.container, perAxis ? [params.zeroPoint.length] : [], codesArray(params.container, params.zeroPoint)));
  const dq = graph.addNode({
    opType: 'DequantizeLinear',
    inputs: [weight, scale, zeroPoint],
    name: `${name}_DequantizeLinear`,
    attributes: perAxis ? [Attribute.int('axis', axis!)] : [],
    before: node,
  });
  dq.output.type = { tensor: { elemType: DataType.FLOAT, shape: [...dims] } };
  node.replaceInput(index, dq.output);
  return dq.output;
}
