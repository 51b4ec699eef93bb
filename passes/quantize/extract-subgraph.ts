// A standalone model made of part of another: the given nodes, reading the
// given boundary values as graph inputs, with their constants copied over.
// Passes use it to run one layer (and the ops between it and a tensor) in
// onnxruntime many times, cheaply.

import type { Model } from '../../compiler/ir/model.ts';
import { Model as IrModel } from '../../compiler/ir/model.ts';
import type { Node } from '../../compiler/ir/node.ts';
import type { Value } from '../../compiler/ir/value.ts';
import { DataType } from '../../compiler/ir/data-type.ts';

export function extractSubgraph(model: Model, inputs: Value[], nodes: Node[], outputs: Value[]): IrModel {
  const sub = new IrModel();
  sub.irVersion = model.irVersion;
  for (const [d, v] of model.opsetImports) sub.opsetImports.set(d, v);
  const g = sub.graph;
  const map = new Map<Value, Value>();
  for (const v of inputs) {
    const copy = g.createNamedValue(v.name, v.type ?? { tensor: { elemType: DataType.FLOAT, shape: null } });
    g.inputs.push(copy);
    map.set(v, copy);
  }
  const valueOf = (v: Value | null): Value | null => {
    if (!v) return null;
    const known = map.get(v);
    if (known) return known;
    if (!v.isConstant) throw new Error(`'${v.name}' is neither a boundary input, a constant nor computed inside the subgraph`);
    const c = g.addInitializer(v.name, v.constValue!, { exactName: true });
    map.set(v, c);
    return c;
  };
  for (const n of nodes) {
    const copy = g.addNode({ opType: n.opType, domain: n.domain, name: n.name, inputs: n.inputs.map(valueOf), outputs: n.outputs.map((o) => o.name || ''), attributes: [...n.attributes.values()] });
    n.outputs.forEach((o, i) => {
      copy.outputs[i].type = o.type;
      map.set(o, copy.outputs[i]);
    });
  }
  for (const v of outputs) {
    const out = map.get(v);
    if (!out) throw new Error(`output '${v.name}' is not computed by the subgraph`);
    out.type ??= { tensor: { elemType: DataType.FLOAT, shape: null } };
    g.outputs.push(out);
  }
  return sub;
}
