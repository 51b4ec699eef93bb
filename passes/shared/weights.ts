// Reading and writing the float weights that passes rewrite. A weight may be
// rewritten in place only when nothing else reads it; otherwise a pass must
// decline or make its own copy.

import { DataType } from '../../compiler/ir/data-type.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { Tensor } from '../../compiler/ir/tensor.ts';
import type { Value } from '../../compiler/ir/value.ts';

/** A float32 constant's values, copied to float64 for exact arithmetic. */
export function floatValues(v: Value | null): Float64Array | null {
  const t = v?.isConstant ? v.constValue : null;
  if (!t || t.dataType !== DataType.FLOAT) return null;
  return Float64Array.from(t.data as Float32Array);
}

/** Why `v` cannot be rewritten as a weight of `owner`, or null. */
export function weightProblem(v: Value | null, owner: Node, what: string): string | null {
  if (!v) return `${what} is missing`;
  if (!v.isInitializer) return `${what} '${v.name}' is not a constant`;
  if (v.isGraphInput) return `${what} '${v.name}' is a graph input (overridable)`;
  if (v.constValue!.dataType !== DataType.FLOAT) return `${what} '${v.name}' is not float32`;
  if (v.consumers().some((n) => n !== owner) || v.isGraphOutput) return `${what} '${v.name}' is shared with another node`;
  return null;
}

/** Replaces a constant input of `node` with new float32 values (a new initializer when shared). */
export function setFloatInput(graph: Graph, node: Node, index: number, dims: readonly number[], values: ArrayLike<number>, baseName: string): Value {
  const tensor = Tensor.float32(dims, Float32Array.from(values));
  const current = node.input(index);
  if (current && current.isInitializer && !current.isGraphInput && current.consumers().length === 1 && current.uses.length === 1 && !current.isGraphOutput) {
    current.constValue = tensor;
    current.type = { tensor: { elemType: DataType.FLOAT, shape: [...dims] } };
    return current;
  }
  const fresh = graph.addInitializer(baseName, tensor);
  while (node.inputs.length <= index) node.appendInput(null);
  node.replaceInput(index, fresh);
  return fresh;
}
