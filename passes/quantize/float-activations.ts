// The float activation tensors of a model: the graph inputs and every float
// node output. What calibration watches and insert-qdq may quantize.

import { DataType } from '../../compiler/ir/data-type.ts';
import type { Model } from '../../compiler/ir/model.ts';

export function floatActivations(model: Model): string[] {
  const names: string[] = [];
  for (const v of model.graph.inputs) if (!v.isInitializer && v.tensorType?.elemType === DataType.FLOAT) names.push(v.name);
  for (const n of model.graph.nodes) {
    if (n.opType === 'QuantizeLinear' || n.opType === 'Shape') continue;
    for (const o of n.outputs) {
      if (!o.name || o.isConstant) continue;
      const t = o.tensorType?.elemType;
      if (t === undefined || t === DataType.FLOAT) names.push(o.name);
    }
  }
  return names;
}
