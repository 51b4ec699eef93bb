// eliminate-dead: nodes and initializers no graph output depends on.
//
//   Before:  %a = Relu(%x);  %unused = Sigmoid(%a);  graph output %a
//   After:   %a = Relu(%x);                           graph output %a
//
// Walks backwards from the graph outputs (through subgraph references too),
// then drops every node not reached and every initializer nothing reads.
// Graph inputs stay: they are the interface.

import type { Node } from '../compiler/ir/node.ts';
import type { Pass } from '../compiler/pass-manager/pass.ts';

export const eliminateDeadPass: Pass = {
  name: 'eliminate-dead',
  description: 'remove nodes and initializers that no graph output depends on',
  exact: true,
  run(model, ctx) {
    const g = model.graph;
    const live = new Set<Node>();
    const stack = g.outputs.map((v) => v.producer).filter((n): n is Node => n !== null);
    while (stack.length) {
      const n = stack.pop()!;
      if (live.has(n)) continue;
      live.add(n);
      for (const v of n.inputs) if (v?.producer) stack.push(v.producer);
      for (const { value } of n.implicitInputs) if (value.producer) stack.push(value.producer);
    }
    let changed = false;
    // Reverse order: consumers go before their producers, so each removal is clean.
    for (const n of g.nodes.toArray().reverse()) {
      if (live.has(n)) continue;
      g.removeNode(n, { force: true });
      ctx.count('nodes');
      changed = true;
    }
    for (const v of g.initializers()) {
      if (v.uses.length || v.isGraphOutput || v.isGraphInput) continue;
      g.removeInitializer(v);
      ctx.count('initializers');
      changed = true;
    }
    return changed;
  },
};
