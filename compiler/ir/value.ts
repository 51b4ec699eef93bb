// A Value is an edge of the graph: produced by at most one node (or a graph
// input, or an initializer) and used by any number of node inputs. Identity
// matters, not the name: passes hold Values, and a rename never breaks an edge.

import type { DataType } from './data-type.ts';
import type { Graph } from './graph.ts';
import type { Node } from './node.ts';
import type { OpaqueProto } from './attribute.ts';
import type { StringEntry, Tensor } from './tensor.ts';

/** A dimension: a size, a symbolic name, or unknown. */
export type Dim = number | string | null;

export interface TensorType {
  elemType: DataType;
  /** null when the rank is unknown. */
  shape: Dim[] | null;
  /** Per-dimension denotations, kept only so they are written back. */
  dimDenotations?: (string | undefined)[];
  denotation?: string;
}

/** Non-tensor types (sequences, maps, optionals) are kept as protobuf objects. */
export type ValueType = { tensor: TensorType } | { opaque: OpaqueProto };

export interface Use {
  node: Node;
  /** Input slot, or -1 for a reference from inside one of the node's subgraphs. */
  index: number;
}

export class Value {
  type: ValueType | null = null;
  docString = '';
  metadataProps: StringEntry[] = [];
  private _name: string;
  private _constValue: Tensor | null = null;
  private _producer: Node | null = null;
  private _producerIndex = -1;
  private readonly _uses: Use[] = [];

  /** Created through Graph (createValue, addInitializer, addNode), which keeps names unique. */
  constructor(readonly graph: Graph, name: string) {
    this._name = name;
  }

  get name(): string {
    return this._name;
  }

  /** Renames, keeping the graph's name table in step; refuses a name in use. */
  set name(next: string) {
    if (next === this._name) return;
    this.graph.renameValue(this, next);
    this._name = next;
  }

  /** The tensor when this value is an initializer. */
  get constValue(): Tensor | null {
    return this._constValue;
  }

  /** Replace an initializer's tensor (a pass rewriting a weight). */
  set constValue(t: Tensor | null) {
    if (t === null && this._constValue !== null) throw new Error(`use graph.removeInitializer to drop '${this.name}'`);
    if (t !== null && this._constValue === null) throw new Error(`'${this.name}' is not an initializer; use graph.addInitializer`);
    this._constValue = t;
  }

  get producer(): Node | null {
    return this._producer;
  }

  get producerOutputIndex(): number {
    return this._producerIndex;
  }

  get uses(): readonly Use[] {
    return this._uses;
  }

  /** Nodes that read this value through an input slot (subgraph references excluded). */
  consumers(): Node[] {
    const out: Node[] = [];
    for (const u of this._uses) if (u.index >= 0 && !out.includes(u.node)) out.push(u.node);
    return out;
  }

  get isGraphInput(): boolean {
    return this.graph.inputs.includes(this);
  }

  get isGraphOutput(): boolean {
    return this.graph.outputs.includes(this);
  }

  get isInitializer(): boolean {
    return this._constValue !== null;
  }

  /** Constant and not overridable: an initializer that is not also a graph input. */
  get isConstant(): boolean {
    return this._constValue !== null && !this.isGraphInput;
  }

  get tensorType(): TensorType | null {
    return this.type && 'tensor' in this.type ? this.type.tensor : null;
  }

  get shape(): Dim[] | null {
    return this.tensorType?.shape ?? null;
  }

  /**
   * Every use of this value now reads `other`. When this value is a graph output
   * the output slot moves to `other` too, and `other` takes this value's name so
   * the model's interface does not change.
   */
  replaceAllUsesWith(other: Value): void {
    if (other === this) return;
    for (const use of [...this._uses]) {
      if (use.index >= 0) use.node.replaceInput(use.index, other);
      else use.node.replaceImplicitInput(this, other);
    }
    const outputs = this.graph.outputs;
    for (let i = 0; i < outputs.length; i++) {
      if (outputs[i] !== this) continue;
      if (other.isGraphInput || other.isGraphOutput || other.isInitializer) {
        throw new Error(`cannot replace graph output '${this.name}' by '${other.name}', which is itself part of the interface`);
      }
      outputs[i] = other;
      const name = this.name;
      this.name = this.graph.freshName(`${name}_replaced`);
      other.name = name;
      other.type ??= this.type;
    }
  }

  /** @internal kept in step by Node */
  _addUse(node: Node, index: number): void {
    this._uses.push({ node, index });
  }

  /** @internal */
  _removeUse(node: Node, index: number): void {
    const i = this._uses.findIndex((u) => u.node === node && u.index === index);
    if (i < 0) throw new Error(`internal: '${this.name}' has no use by ${node.describe()} at ${index}`);
    this._uses.splice(i, 1);
  }

  /** @internal */
  _setProducer(node: Node | null, index: number): void {
    if (node && this._producer && this._producer !== node) {
      throw new Error(`'${this.name}' is already produced by ${this._producer.describe()}`);
    }
    this._producer = node;
    this._producerIndex = index;
  }

  /** @internal used by Graph.addInitializer / removeInitializer */
  _setConst(t: Tensor | null): void {
    this._constValue = t;
  }

  toString(): string {
    return `%${this.name}`;
  }
}
