// infer-shapes: records static shapes and element types on values that have none.
//
//   Before:  %y = Conv(%x: float32[1,3,112,112], %W: [64,3,3,3])          (no value_info)
//   After:   %y: float32[1,64,56,56] = Conv(...)
//
// Never overwrites a type the model declares; changes nothing onnxruntime
// computes. Later passes (fold-constants on Shape, fold-batchnorm's Mul+Add,
// per-channel quantization) rely on the shapes it fills in.

import { topologicalOrder } from '../compiler/ir/topological-sort.ts';
import type { Pass } from '../compiler/pass-manager/pass.ts';
import { inferNode } from './shared/shape-inference.ts';

export const inferShapesPass: Pass = {
  name: 'infer-shapes',
  description: 'fill in static shapes and element types where the model declares none',
  exact: true,
  run(model, ctx) {
    let changed = false;
    for (const node of topologicalOrder(model.graph)) {
      const inferred = inferNode(node);
      node.outputs.forEach((out, i) => {
        const t = inferred[i];
        if (!t || !out.name) return;
        const declared = out.tensorType;
        if (declared && declared.shape && declared.shape.every((d) => d !== null)) return;
        if (declared && !t.shape) return;
        if (declared?.shape && t.shape && declared.shape.length !== t.shape.length) return;
        // Keep declared symbolic names where inference knows nothing better.
        const shape = declared?.shape && t.shape ? t.shape.map((d, k) => d ?? declared.shape![k]) : t.shape;
        if (declared && JSON.stringify(declared.shape) === JSON.stringify(shape)) return;
        out.type = { tensor: { elemType: declared?.elemType ?? t.elemType, shape } };
        ctx.count('typed');
        changed = true;
      });
    }
    return changed;
  },
};
