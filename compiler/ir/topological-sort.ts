// Kahn's algorithm, stable: among nodes that are ready, the one that came first
// in the current order goes first, so an already sorted graph keeps its order.

import { UserError } from '../errors.ts';
import type { Graph } from './graph.ts';
import type { Node } from './node.ts';

export function topologicalOrder(graph: Graph): Node[] {
  const nodes = graph.nodes.toArray();
  const position = new Map<Node, number>();
  nodes.forEach((n, i) => position.set(n, i));
  const pending = new Map<Node, number>();
  const dependents = new Map<Node, Node[]>();
  for (const n of nodes) {
    const producers = new Set<Node>();
    for (const v of n.inputs) if (v?.producer && position.has(v.producer)) producers.add(v.producer);
    for (const { value } of n.implicitInputs) if (value.producer && position.has(value.producer)) producers.add(value.producer);
    pending.set(n, producers.size);
    for (const p of producers) {
      if (!dependents.has(p)) dependents.set(p, []);
      dependents.get(p)!.push(n);
    }
  }
  // A binary heap on the original position keeps the sort O(n log n).
  const ready = new MinHeap<Node>((a, b) => position.get(a)! - position.get(b)!);
  for (const n of nodes) if (pending.get(n) === 0) ready.push(n);
  const order: Node[] = [];
  while (ready.size) {
    const n = ready.pop()!;
    order.push(n);
    for (const d of dependents.get(n) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((n) => pending.get(n)! > 0)!;
    throw new UserError(`the graph has a cycle through ${stuck.describe()}`);
  }
  return order;
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.less(a[i], a[parent]) >= 0) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.less(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
