// Graph invariants. Returns every problem found as a sentence a user can act
// on; an empty list means the graph is well formed.

import type { Graph } from './graph.ts';
import { topologicalOrder } from './topological-sort.ts';
import type { Value } from './value.ts';

export function validateGraph(graph: Graph): string[] {
  const problems: string[] = [];
  const nodes = graph.nodes.toArray();
  const inGraph = new Set(nodes);
  const sparse = new Set(graph.sparseInitializers.map((s) => (s.values as { name?: string } | undefined)?.name));
  const defined = (v: Value) =>
    v.isGraphInput || v.isInitializer || sparse.has(v.name) || (v.producer !== null && inGraph.has(v.producer));

  const seen = new Map<string, Value>();
  const claim = (v: Value, where: string) => {
    if (!v.name) return;
    const other = seen.get(v.name);
    if (other && other !== v) problems.push(`two values are named '${v.name}' (${where})`);
    seen.set(v.name, v);
  };
  graph.inputs.forEach((v) => claim(v, 'graph input'));
  graph.initializers().forEach((v) => claim(v, 'initializer'));

  for (const n of nodes) {
    n.inputs.forEach((v, i) => {
      if (!v) return;
      if (!defined(v)) problems.push(`input '${v.name}' of ${n.describe()} is not produced by any node, graph input or initializer`);
      if (!v.uses.some((u) => u.node === n && u.index === i)) problems.push(`internal: use of '${v.name}' by ${n.describe()} is not recorded`);
    });
    for (const { value } of n.implicitInputs) {
      if (!defined(value)) problems.push(`'${value.name}', read inside a subgraph of ${n.describe()}, is not defined`);
    }
    n.outputs.forEach((o, i) => {
      if (o.producer !== n || o.producerOutputIndex !== i) problems.push(`internal: output '${o.name}' of ${n.describe()} does not point back to it`);
      claim(o, `output of ${n.describe()}`);
    });
  }
  for (const v of graph.outputs) {
    if (!defined(v)) problems.push(`graph output '${v.name}' is not produced by any node, graph input or initializer`);
  }
  if (!problems.length) {
    try {
      topologicalOrder(graph);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}
