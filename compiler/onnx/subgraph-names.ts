// Subgraphs (If/Loop/Scan bodies) are kept as protobuf, but they may read
// values of the enclosing graph by name. The loader turns those names into
// implicit inputs of the node that owns the subgraph, so the outer values keep
// a use and are never removed as dead, and renames can be written back.

import type { ProtoMessage } from './proto-schema.ts';

/** Names the subgraph (or its nested subgraphs) reads but does not define. */
export function freeNamesOfSubgraph(graph: ProtoMessage): string[] {
  const free = new Set<string>();
  collectFree(graph, new Set(), free);
  return [...free];
}

/** Every name defined anywhere inside the subgraph. */
export function namesDefinedInSubgraph(graph: ProtoMessage): string[] {
  const out: string[] = [];
  const visit = (g: ProtoMessage) => {
    for (const vi of g.input ?? []) out.push(vi.name);
    for (const t of g.initializer ?? []) out.push(t.name);
    for (const n of g.node ?? []) {
      for (const o of n.output ?? []) if (o) out.push(o);
      for (const sub of subgraphsOf(n)) visit(sub);
    }
  };
  visit(graph);
  return out;
}

/** Renames references to outer values, respecting names a subgraph defines itself. */
export function renameFreeNames(graph: ProtoMessage, renames: Map<string, string>): ProtoMessage {
  const defined = definedHere(graph);
  const live = new Map([...renames].filter(([from]) => !defined.has(from)));
  if (!live.size) return graph;
  const rename = (name: string) => live.get(name) ?? name;
  return {
    ...graph,
    node: (graph.node ?? []).map((n: ProtoMessage) => ({
      ...n,
      input: (n.input ?? []).map(rename),
      attribute: (n.attribute ?? []).map((a: ProtoMessage) =>
        a.g ? { ...a, g: renameFreeNames(a.g, live) } : a.graphs?.length ? { ...a, graphs: a.graphs.map((s: ProtoMessage) => renameFreeNames(s, live)) } : a,
      ),
    })),
    output: (graph.output ?? []).map((vi: ProtoMessage) => ({ ...vi, name: rename(vi.name) })),
  };
}

function collectFree(g: ProtoMessage, outer: Set<string>, free: Set<string>): void {
  const scope = new Set([...outer, ...definedHere(g)]);
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) if (i && !scope.has(i)) free.add(i);
    for (const sub of subgraphsOf(n)) collectFree(sub, scope, free);
  }
  for (const o of g.output ?? []) if (o.name && !scope.has(o.name)) free.add(o.name);
}

function definedHere(g: ProtoMessage): Set<string> {
  const s = new Set<string>();
  for (const vi of g.input ?? []) s.add(vi.name);
  for (const t of g.initializer ?? []) s.add(t.name);
  for (const sp of g.sparseInitializer ?? []) if (sp.values?.name) s.add(sp.values.name);
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) s.add(o);
  return s;
}

function subgraphsOf(n: ProtoMessage): ProtoMessage[] {
  const out: ProtoMessage[] = [];
  for (const a of n.attribute ?? []) {
    if (a.g) out.push(a.g);
    for (const g of a.graphs ?? []) out.push(g);
  }
  return out;
}
