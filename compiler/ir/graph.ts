// The main graph of a model. It owns the name table so that every Value and
// node name stays unique, and it is the only way to create or delete nodes and
// initializers, which keeps use-def chains exact.

import { Attribute, OpaqueProto } from './attribute.ts';
import type { Model } from './model.ts';
import { Node } from './node.ts';
import { NodeList } from './node-list.ts';
import type { StringEntry, Tensor } from './tensor.ts';
import { Value, ValueType } from './value.ts';

export interface NodeSpec {
  opType: string;
  inputs: readonly (Value | null)[];
  /** Output count (fresh names) or explicit output names; default 1. */
  outputs?: number | readonly string[];
  attributes?: readonly Attribute[];
  name?: string;
  domain?: string;
  /** Position: before or after an existing node; default at the end. */
  before?: Node;
  after?: Node;
}

export class Graph {
  name = '';
  docString = '';
  metadataProps: StringEntry[] = [];
  /** Written back as read: tensor -> quantization parameter names (IR 5). */
  quantizationAnnotation: OpaqueProto[] = [];
  /** Sparse initializers are kept as read; their names are defined values. */
  sparseInitializers: OpaqueProto[] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  readonly nodes = new NodeList();
  private readonly initializerSet = new Set<Value>();
  private readonly valuesByName = new Map<string, Value>();
  private readonly nodeNames = new Set<string>();
  /** Names used inside subgraphs: never given to a new value, so no subgraph sees a shadowed name. */
  readonly reservedNames = new Set<string>();

  constructor(readonly model: Model) {}

  // Values ----------------------------------------------------------------

  /** A new value with a unique name derived from `base`. */
  createValue(base = 'v', type: ValueType | null = null): Value {
    const v = new Value(this, this.freshName(base));
    this.valuesByName.set(v.name, v);
    v.type = type;
    return v;
  }

  /** A value with exactly this name; throws when the name is taken. */
  createNamedValue(name: string, type: ValueType | null = null): Value {
    if (name === '') {
      const absent = new Value(this, '');
      absent.type = type;
      return absent;
    }
    if (this.valuesByName.has(name)) throw new Error(`value name '${name}' is already used`);
    const v = new Value(this, name);
    this.valuesByName.set(name, v);
    v.type = type;
    return v;
  }

  value(name: string): Value | undefined {
    return this.valuesByName.get(name);
  }

  /** Every named value the graph knows (inputs, initializers, node outputs). */
  values(): IterableIterator<Value> {
    return this.valuesByName.values();
  }

  freshName(base: string): string {
    const clean = base || 'v';
    if (!this.isNameTaken(clean)) return clean;
    for (let i = 1; ; i++) {
      const name = `${clean}_${i}`;
      if (!this.isNameTaken(name)) return name;
    }
  }

  private isNameTaken(name: string): boolean {
    return this.valuesByName.has(name) || this.reservedNames.has(name);
  }

  /** @internal called by Value's name setter */
  renameValue(value: Value, next: string): void {
    if (next === '') throw new Error(`cannot give '${value.name}' an empty name`);
    if (this.isNameTaken(next)) throw new Error(`cannot rename '${value.name}' to '${next}': the name is taken`);
    if (value.name !== '') this.valuesByName.delete(value.name);
    this.valuesByName.set(next, value);
  }

  /** Forgets a value that nothing produces or uses any more. */
  dropValue(value: Value): void {
    if (value.uses.length || value.producer || value.isInitializer || value.isGraphInput || value.isGraphOutput) {
      throw new Error(`value '${value.name}' is still part of the graph`);
    }
    if (this.valuesByName.get(value.name) === value) this.valuesByName.delete(value.name);
  }

  // Initializers ------------------------------------------------------------

  addInitializer(base: string, tensor: Tensor, options: { exactName?: boolean } = {}): Value {
    const v = options.exactName ? this.createNamedValue(base) : this.createValue(base);
    v._setConst(tensor);
    v.type = { tensor: { elemType: tensor.dataType, shape: [...tensor.dims] } };
    this.initializerSet.add(v);
    return v;
  }

  /**
   * Gives an existing value (a graph input of an old export) the tensor an
   * initializer of the same name holds: it is both, as the file says.
   */
  adoptInitializer(v: Value, tensor: Tensor): void {
    if (this.initializerSet.has(v)) throw new Error(`'${v.name}' is already an initializer`);
    v._setConst(tensor);
    this.initializerSet.add(v);
  }

  /** Removes an initializer that is no longer used. */
  removeInitializer(v: Value): void {
    if (!this.initializerSet.has(v)) throw new Error(`'${v.name}' is not an initializer`);
    if (v.uses.length || v.isGraphOutput) throw new Error(`initializer '${v.name}' is still used`);
    this.initializerSet.delete(v);
    v._setConst(null);
    const inputIndex = this.inputs.indexOf(v);
    if (inputIndex >= 0) this.inputs.splice(inputIndex, 1);
    this.dropValue(v);
  }

  initializers(): Value[] {
    return [...this.initializerSet];
  }

  /** The tensor behind `v` if it is a true constant (not an overridable graph input). */
  constantOf(v: Value | null): Tensor | null {
    return v && v.isConstant ? v.constValue : null;
  }

  // Nodes -----------------------------------------------------------------

  addNode(spec: NodeSpec): Node {
    const base = spec.name ?? spec.opType;
    const node = new Node(this, spec.opType, spec.domain ?? '', this.freshNodeName(base));
    this.nodeNames.add(node.name);
    for (const a of spec.attributes ?? []) node.setAttr(a);
    node.setInputs(spec.inputs);
    const outputs = spec.outputs ?? 1;
    if (typeof outputs === 'number') {
      for (let i = 0; i < outputs; i++) node._addOutput(this.createValue(`${node.name}_output${outputs > 1 ? `_${i}` : ''}`));
    } else {
      for (const name of outputs) node._addOutput(this.createNamedValue(name));
    }
    if (spec.before) this.nodes.insertBefore(spec.before, node);
    else if (spec.after) this.nodes.insertAfter(spec.after, node);
    else this.nodes.append(node);
    return node;
  }

  freshNodeName(base: string): string {
    const clean = base || 'node';
    if (!this.nodeNames.has(clean)) return clean;
    for (let i = 1; ; i++) if (!this.nodeNames.has(`${clean}_${i}`)) return `${clean}_${i}`;
  }

  /** @internal loader: node names are kept as read, duplicates included */
  _registerNodeName(name: string): void {
    this.nodeNames.add(name);
  }

  /**
   * Removes a node. Its outputs must be unused (and not graph outputs) unless
   * `force` is set, in which case their remaining uses dangle and the
   * validator will say so.
   */
  removeNode(node: Node, options: { force?: boolean } = {}): void {
    if (!options.force) {
      for (const o of node.outputs) {
        if (o.uses.length || o.isGraphOutput) {
          throw new Error(`cannot remove ${node.describe()}: output '${o.name}' is still used`);
        }
      }
    }
    node._detach();
    this.nodes.remove(node);
    this.nodeNames.delete(node.name);
    for (const o of node.outputs) if (!o.uses.length && !o.isGraphOutput && o.name) this.valuesByName.delete(o.name);
  }

  /** The node producing `v`, when it has the given op type. */
  producerOf(v: Value | null, opType?: string): Node | null {
    const p = v?.producer ?? null;
    if (!p || (opType && p.opType !== opType)) return null;
    return p;
  }
}
