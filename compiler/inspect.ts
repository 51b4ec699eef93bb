// What a model holds, for `quantface inspect`: interface, opsets, op
// histogram, parameters by element type, BatchNorm count, and what is
// quantized (integer weights behind DequantizeLinear, activation Q/DQ pairs,
// integer kernels), with the bit width the integer codes really use.

import { DataType, dataTypeName } from './ir/data-type.ts';
import type { Model } from './ir/model.ts';
import type { Value } from './ir/value.ts';

export interface ModelSummary {
  irVersion: number;
  opsets: Record<string, number>;
  producer: string;
  inputs: { name: string; type: string; shape: (number | string | null)[] | null }[];
  outputs: { name: string; type: string; shape: (number | string | null)[] | null }[];
  nodes: number;
  ops: Record<string, number>;
  parameters: { total: number; bytes: number; byType: Record<string, { count: number; bytes: number; tensors: number }> };
  batchNormalization: number;
  quantization: {
    quantizeLinear: number;
    dequantizeLinear: number;
    integerOps: Record<string, number>;
    /** Weights stored as integers, by the bit width their codes span. */
    integerWeights: Record<string, { tensors: number; parameters: number }>;
    /** Activation Q/DQ pairs, by the bit width they can take. */
    activations: Record<string, number>;
  };
}

export function summarizeModel(model: Model): ModelSummary {
  const g = model.graph;
  const ops: Record<string, number> = {};
  for (const n of g.nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    ops[key] = (ops[key] ?? 0) + 1;
  }
  const byType: ModelSummary['parameters']['byType'] = {};
  let total = 0, bytes = 0;
  // Weights kept in Constant nodes (PaddlePaddle exports) count as parameters too.
  const constantTensors = g.nodes.toArray().flatMap((n) => (n.opType === 'Constant' && n.getTensor('value') ? [n.getTensor('value')!] : []));
  for (const t of [...g.initializers().map((v) => v.constValue!), ...constantTensors]) {
    const key = dataTypeName(t.dataType);
    const e = (byType[key] ??= { count: 0, bytes: 0, tensors: 0 });
    e.count += t.size;
    e.bytes += t.byteLength;
    e.tensors++;
    total += t.size;
    bytes += t.byteLength;
  }
  const io = (v: Value) => ({ name: v.name, type: v.tensorType ? dataTypeName(v.tensorType.elemType) : 'non-tensor', shape: v.shape });
  return {
    irVersion: model.irVersion,
    opsets: Object.fromEntries([...model.opsetImports].map(([d, v]) => [d || 'ai.onnx', v])),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs: g.inputs.filter((v) => !v.isInitializer).map(io),
    outputs: g.outputs.map(io),
    nodes: g.nodes.length,
    ops,
    parameters: { total, bytes, byType },
    batchNormalization: ops.BatchNormalization ?? 0,
    quantization: summarizeQuantization(model),
  };
}

function summarizeQuantization(model: Model): ModelSummary['quantization'] {
  const integerOps: Record<string, number> = {};
  const integerWeights: Record<string, { tensors: number; parameters: number }> = {};
  const activations: Record<string, number> = {};
  let q = 0, dq = 0;
  for (const n of model.graph.nodes) {
    if (n.opType.startsWith('QLinear') || n.opType === 'ConvInteger' || n.opType === 'MatMulInteger') {
      integerOps[n.opType] = (integerOps[n.opType] ?? 0) + 1;
    }
    if (n.opType === 'QuantizeLinear') {
      q++;
      const bits = activationBits(n.outputs[0]);
      activations[`${bits}-bit`] = (activations[`${bits}-bit`] ?? 0) + 1;
    }
    if (n.opType === 'DequantizeLinear') {
      dq++;
      const t = n.inputs[0]?.isConstant ? n.inputs[0].constValue : null;
      if (t && t.dataType !== DataType.INT32) {
        const key = `${codeBits(t.data as ArrayLike<number>)}-bit`;
        const e = (integerWeights[key] ??= { tensors: 0, parameters: 0 });
        e.tensors++;
        e.parameters += t.size;
      }
    }
  }
  return { quantizeLinear: q, dequantizeLinear: dq, integerOps, integerWeights, activations };
}

/** Bits an activation can take: the container's, or fewer when an integer Clip narrows it. */
function activationBits(quantized: Value): number {
  const type = quantized.tensorType?.elemType ?? quantized.producer?.input(2)?.constValue?.dataType ?? DataType.UINT8;
  let bits = type === DataType.INT4 || type === DataType.UINT4 ? 4 : type === DataType.INT16 || type === DataType.UINT16 ? 16 : 8;
  for (const c of quantized.consumers()) {
    if (c.opType !== 'Clip') continue;
    const lo = c.input(1)?.constValue?.toNumbers()[0];
    const hi = c.input(2)?.constValue?.toNumbers()[0];
    if (lo !== undefined && hi !== undefined) bits = Math.min(bits, Math.ceil(Math.log2(hi - lo + 1)));
  }
  return bits;
}

/** The bit width the integer codes of a tensor actually span. */
export function codeBits(codes: ArrayLike<number>): number {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c < lo) lo = c;
    if (c > hi) hi = c;
  }
  if (!(hi >= lo)) return 0;
  return Math.max(1, Math.ceil(Math.log2(hi - lo + 1)));
}
