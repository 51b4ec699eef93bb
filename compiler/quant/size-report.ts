// Model size two ways: bytes on disk, and parameters x bits / 8 (the figure
// the QuantFace paper reports), per quantized layer and in total.

import { DataType } from '../ir/data-type.ts';
import type { Model } from '../ir/model.ts';
import type { QuantizationSummary } from './quantization-summary.ts';

export interface LayerSize {
  node: string;
  opType: string;
  parameters: number;
  bits: number;
  floatBytes: number;
  /** parameters x bits / 8, plus int32 biases. */
  quantizedBytes: number;
}

export interface SizeReport {
  layers: LayerSize[];
  /** Every float parameter of the float model, at 32 bits. */
  floatParameterBytes: number;
  /** Quantized layers at their bit widths plus everything left in float. */
  quantizedParameterBytes: number;
  floatFileBytes?: number;
  quantizedFileBytes?: number;
}

export function sizeReport(floatParameters: number, summary: QuantizationSummary, files: { float?: number; quantized?: number } = {}): SizeReport {
  const layers = summary.layers.map((l) => ({
    node: l.node,
    opType: l.opType,
    parameters: l.parameters + l.biasParameters,
    bits: l.storedWeightBits,
    floatBytes: (l.parameters + l.biasParameters) * 4,
    quantizedBytes: (l.parameters * l.storedWeightBits) / 8 + l.biasParameters * 4,
  }));
  const quantizedParams = layers.reduce((s, l) => s + l.parameters, 0);
  const quantizedBytes = layers.reduce((s, l) => s + l.quantizedBytes, 0);
  return {
    layers,
    floatParameterBytes: floatParameters * 4,
    quantizedParameterBytes: quantizedBytes + (floatParameters - quantizedParams) * 4,
    floatFileBytes: files.float,
    quantizedFileBytes: files.quantized,
  };
}

/** Float parameters of a model: initializers and the tensors of Constant nodes (PaddlePaddle keeps weights there). */
export function floatParameterCount(model: Model): number {
  let n = 0;
  for (const v of model.graph.initializers()) if (v.constValue!.dataType === DataType.FLOAT) n += v.constValue!.size;
  for (const node of model.graph.nodes) {
    const t = node.opType === 'Constant' ? node.getTensor('value') : undefined;
    if (t?.dataType === DataType.FLOAT) n += t.size;
  }
  return n;
}
