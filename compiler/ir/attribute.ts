// Node attributes. Values the IR works with (numbers, tensors) are typed;
// subgraphs, sparse tensors and type protos stay as decoded protobuf objects,
// written back untouched.

import { Tensor } from './tensor.ts';

export type AttributeKind =
  | 'UNDEFINED' | 'FLOAT' | 'INT' | 'STRING' | 'TENSOR' | 'GRAPH' | 'SPARSE_TENSOR' | 'TYPE_PROTO'
  | 'FLOATS' | 'INTS' | 'STRINGS' | 'TENSORS' | 'GRAPHS' | 'SPARSE_TENSORS' | 'TYPE_PROTOS';

/** int64 attributes are numbers unless they do not fit one exactly (e.g. INT64_MAX as a Slice end). */
export type Int64 = number | bigint;

/** A decoded protobuf message the IR does not model (a subgraph, a sparse tensor, a type). */
export type OpaqueProto = Record<string, unknown>;

export type AttributeValue =
  | number | Int64 | Uint8Array | Tensor | OpaqueProto
  | number[] | Int64[] | Uint8Array[] | Tensor[] | OpaqueProto[] | undefined;

export class Attribute {
  docString = '';
  /** Only inside functions: take the value of the caller's attribute of this name. */
  refAttrName = '';

  constructor(
    readonly name: string,
    readonly kind: AttributeKind,
    readonly value: AttributeValue,
  ) {}

  static float(name: string, v: number): Attribute { return new Attribute(name, 'FLOAT', v); }
  static int(name: string, v: Int64): Attribute { return new Attribute(name, 'INT', v); }
  static string(name: string, v: string): Attribute { return new Attribute(name, 'STRING', new TextEncoder().encode(v)); }
  static tensor(name: string, v: Tensor): Attribute { return new Attribute(name, 'TENSOR', v); }
  static floats(name: string, v: number[]): Attribute { return new Attribute(name, 'FLOATS', v); }
  static ints(name: string, v: Int64[]): Attribute { return new Attribute(name, 'INTS', v); }

  get isSubgraph(): boolean {
    return this.kind === 'GRAPH' || this.kind === 'GRAPHS';
  }

  subgraphs(): OpaqueProto[] {
    if (this.kind === 'GRAPH') return [this.value as OpaqueProto];
    if (this.kind === 'GRAPHS') return this.value as OpaqueProto[];
    return [];
  }

  describe(): string {
    const v = this.value;
    switch (this.kind) {
      case 'STRING': return JSON.stringify(new TextDecoder().decode(v as Uint8Array));
      case 'TENSOR': return `<${(v as Tensor).describe()}>`;
      case 'FLOATS': case 'INTS': return `[${(v as unknown[]).map(String).join(',')}]`;
      case 'STRINGS': return `[${(v as Uint8Array[]).map((s) => JSON.stringify(new TextDecoder().decode(s))).join(',')}]`;
      case 'GRAPH': return '<graph>';
      case 'GRAPHS': return `<${(v as unknown[]).length} graphs>`;
      case 'FLOAT': case 'INT': return String(v);
      default: return `<${this.kind.toLowerCase()}>`;
    }
  }
}
