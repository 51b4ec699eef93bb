// The graph's nodes in order. A doubly linked list so that passes can insert
// and remove nodes while iterating: a removed node keeps its `next` link, so an
// iterator standing on it moves on to the node that followed it, and a node
// inserted after the iterator's position is visited.

import type { Node } from './node.ts';

export class NodeList implements Iterable<Node> {
  private head: Node | null = null;
  private tail: Node | null = null;
  private count = 0;

  get length(): number {
    return this.count;
  }

  get first(): Node | null {
    return this.head;
  }

  get last(): Node | null {
    return this.tail;
  }

  *[Symbol.iterator](): Iterator<Node> {
    let n = this.head;
    while (n) {
      if (n._list === this) yield n;
      // A node removed during the yield still points at its old successor;
      // skip forward past any successors that were removed too.
      n = n._next;
      while (n && n._list !== this) n = n._next;
    }
  }

  toArray(): Node[] {
    return [...this];
  }

  append(node: Node): void {
    this.insertAfter(this.tail, node);
  }

  /** Inserts `node` after `anchor` (at the front when anchor is null). */
  insertAfter(anchor: Node | null, node: Node): void {
    if (node._list) throw new Error(`${node.describe()} is already in a graph`);
    if (anchor && anchor._list !== this) throw new Error(`${anchor.describe()} is not in this graph`);
    const next = anchor ? anchor._next : this.head;
    node._prev = anchor;
    node._next = next;
    if (anchor) anchor._next = node; else this.head = node;
    if (next) next._prev = node; else this.tail = node;
    node._list = this;
    this.count++;
  }

  insertBefore(anchor: Node, node: Node): void {
    if (anchor._list !== this) throw new Error(`${anchor.describe()} is not in this graph`);
    this.insertAfter(anchor._prev, node);
  }

  remove(node: Node): void {
    if (node._list !== this) throw new Error(`${node.describe()} is not in this graph`);
    if (node._prev) node._prev._next = node._next; else this.head = node._next;
    if (node._next) node._next._prev = node._prev; else this.tail = node._prev;
    // Keep node._next so a live iterator can continue from here.
    node._prev = null;
    node._list = null;
    this.count--;
  }

  /** Re-links all nodes in the given order (same set of nodes). */
  reorder(order: Node[]): void {
    if (order.length !== this.count) throw new Error('reorder needs every node exactly once');
    for (const n of order) if (n._list !== this) throw new Error(`${n.describe()} is not in this graph`);
    this.head = this.tail = null;
    this.count = 0;
    for (const n of order) {
      n._list = null;
      this.append(n);
    }
  }
}
