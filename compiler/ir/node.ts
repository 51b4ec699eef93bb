// A node: an operator applied to input Values, producing output Values. All
// edge changes go through methods here so that each Value's producer and uses
// stay exact.

import { Attribute, Int64, OpaqueProto } from './attribute.ts';
import type { Graph } from './graph.ts';
import type { NodeList } from './node-list.ts';
import type { StringEntry, Tensor } from './tensor.ts';
import type { Value } from './value.ts';

export class Node {
  name: string;
  domain: string;
  overload = '';
  docString = '';
  metadataProps: StringEntry[] = [];
  deviceConfigurations: OpaqueProto[] = [];
  readonly attributes = new Map<string, Attribute>();
  private readonly _inputs: (Value | null)[] = [];
  private readonly _outputs: Value[] = [];
  /** Outer-scope values read by this node's subgraphs, with the name the subgraph uses. */
  private readonly _implicit: { name: string; value: Value }[] = [];

  /** @internal NodeList links */
  _prev: Node | null = null;
  /** @internal */
  _next: Node | null = null;
  /** @internal */
  _list: NodeList | null = null;

  /** Created through Graph.addNode. */
  constructor(readonly graph: Graph, public opType: string, domain: string, name: string) {
    this.domain = domain;
    this.name = name;
  }

  get inputs(): readonly (Value | null)[] {
    return this._inputs;
  }

  get outputs(): readonly Value[] {
    return this._outputs;
  }

  get implicitInputs(): readonly { name: string; value: Value }[] {
    return this._implicit;
  }

  get isInGraph(): boolean {
    return this._list !== null;
  }

  input(i: number): Value | null {
    return this._inputs[i] ?? null;
  }

  get output(): Value {
    return this._outputs[0];
  }

  replaceInput(index: number, value: Value | null): void {
    if (index < 0 || index >= this._inputs.length) throw new Error(`${this.describe()} has no input ${index}`);
    const old = this._inputs[index];
    if (old === value) return;
    old?._removeUse(this, index);
    this._inputs[index] = value;
    value?._addUse(this, index);
  }

  /** Sets all inputs at once (the count may change). */
  setInputs(values: readonly (Value | null)[]): void {
    this._inputs.forEach((v, i) => v?._removeUse(this, i));
    this._inputs.length = 0;
    values.forEach((v, i) => {
      this._inputs.push(v);
      v?._addUse(this, i);
    });
  }

  appendInput(value: Value | null): void {
    this._inputs.push(value);
    value?._addUse(this, this._inputs.length - 1);
  }

  /** Drops trailing absent inputs (an optional input set to null at the end). */
  trimInputs(): void {
    while (this._inputs.length && this._inputs[this._inputs.length - 1] === null) this._inputs.pop();
  }

  /** @internal used by Graph when it creates the node */
  _addOutput(value: Value): void {
    value._setProducer(this, this._outputs.length);
    this._outputs.push(value);
  }

  /** @internal used by the loader */
  _addImplicitInput(name: string, value: Value): void {
    this._implicit.push({ name, value });
    value._addUse(this, -1);
  }

  replaceImplicitInput(old: Value, next: Value): void {
    for (const entry of this._implicit) {
      if (entry.value !== old) continue;
      old._removeUse(this, -1);
      entry.value = next;
      next._addUse(this, -1);
    }
  }

  /** @internal detach from all values when the node is removed */
  _detach(): void {
    this._inputs.forEach((v, i) => v?._removeUse(this, i));
    for (const { value } of this._implicit) value._removeUse(this, -1);
    for (const o of this._outputs) o._setProducer(null, -1);
  }

  // Attributes ------------------------------------------------------------

  attr(name: string): Attribute | undefined {
    return this.attributes.get(name);
  }

  setAttr(attribute: Attribute): void {
    this.attributes.set(attribute.name, attribute);
  }

  removeAttr(name: string): void {
    this.attributes.delete(name);
  }

  getInt(name: string, fallback: number): number;
  getInt(name: string): number | undefined;
  getInt(name: string, fallback?: number): number | undefined {
    const a = this.attributes.get(name);
    if (!a) return fallback;
    if (a.kind !== 'INT') throw new Error(`${this.describe()}: attribute '${name}' is ${a.kind}, not INT`);
    return toSafeNumber(a.value as Int64, name);
  }

  getFloat(name: string, fallback: number): number;
  getFloat(name: string): number | undefined;
  getFloat(name: string, fallback?: number): number | undefined {
    const a = this.attributes.get(name);
    if (!a) return fallback;
    if (a.kind !== 'FLOAT') throw new Error(`${this.describe()}: attribute '${name}' is ${a.kind}, not FLOAT`);
    return a.value as number;
  }

  getInts(name: string, fallback: number[]): number[];
  getInts(name: string): number[] | undefined;
  getInts(name: string, fallback?: number[]): number[] | undefined {
    const a = this.attributes.get(name);
    if (!a) return fallback;
    if (a.kind !== 'INTS') throw new Error(`${this.describe()}: attribute '${name}' is ${a.kind}, not INTS`);
    return (a.value as Int64[]).map((v) => toSafeNumber(v, name));
  }

  getFloats(name: string): number[] | undefined {
    const a = this.attributes.get(name);
    if (!a) return undefined;
    if (a.kind !== 'FLOATS') throw new Error(`${this.describe()}: attribute '${name}' is ${a.kind}, not FLOATS`);
    return a.value as number[];
  }

  getString(name: string, fallback: string): string;
  getString(name: string): string | undefined;
  getString(name: string, fallback?: string): string | undefined {
    const a = this.attributes.get(name);
    if (!a) return fallback;
    if (a.kind !== 'STRING') throw new Error(`${this.describe()}: attribute '${name}' is ${a.kind}, not STRING`);
    return new TextDecoder().decode(a.value as Uint8Array);
  }

  getTensor(name: string): Tensor | undefined {
    const a = this.attributes.get(name);
    if (!a) return undefined;
    if (a.kind !== 'TENSOR') throw new Error(`${this.describe()}: attribute '${name}' is ${a.kind}, not TENSOR`);
    return a.value as Tensor;
  }

  get hasSubgraphs(): boolean {
    for (const a of this.attributes.values()) if (a.isSubgraph) return true;
    return false;
  }

  /** The opset version this node's domain is imported at. */
  get opsetVersion(): number {
    return this.graph.model.opsetVersion(this.domain);
  }

  describe(): string {
    return `${this.opType}${this.domain && this.domain !== 'ai.onnx' ? `(${this.domain})` : ''} '${this.name}'`;
  }
}

function toSafeNumber(v: Int64, name: string): number {
  if (typeof v === 'number') return v;
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`attribute '${name}' value ${v} does not fit a JavaScript number`);
  }
  return Number(v);
}
