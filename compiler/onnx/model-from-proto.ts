// ModelProto -> Model. Builds use-def chains from names, accepts nodes in any
// order (the validator checks for cycles), and keeps every field the IR does not
// model so that saving writes it back.

import { Attribute, AttributeKind, AttributeValue, OpaqueProto } from '../ir/attribute.ts';
import { DataType } from '../ir/data-type.ts';
import { Graph } from '../ir/graph.ts';
import { Model } from '../ir/model.ts';
import { Node } from '../ir/node.ts';
import type { StringEntry } from '../ir/tensor.ts';
import type { Dim, Value, ValueType } from '../ir/value.ts';
import { UserError } from '../errors.ts';
import { ProtoMessage, has, int64ToJs } from './proto-schema.ts';
import { ExternalDataReader, tensorFromProto } from './tensor-from-proto.ts';
import { freeNamesOfSubgraph, namesDefinedInSubgraph } from './subgraph-names.ts';

const ATTRIBUTE_KINDS: Record<number, AttributeKind> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 5: 'GRAPH', 6: 'FLOATS', 7: 'INTS',
  8: 'STRINGS', 9: 'TENSORS', 10: 'GRAPHS', 11: 'SPARSE_TENSOR', 12: 'SPARSE_TENSORS', 13: 'TYPE_PROTO', 14: 'TYPE_PROTOS',
};

export function modelFromProto(p: ProtoMessage, readExternal?: ExternalDataReader): Model {
  if (!has(p, 'graph')) throw new UserError('not an ONNX model: it has no graph');
  if (!has(p, 'irVersion')) throw new UserError('not an ONNX model: it has no ir_version');
  const model = new Model();
  model.irVersion = Number(int64ToJs(p.irVersion));
  for (const o of p.opsetImport as ProtoMessage[]) {
    model.opsetImports.set(o.domain ?? '', Number(int64ToJs(o.version ?? 0)));
  }
  for (const f of ['producerName', 'producerVersion', 'domain', 'docString'] as const) {
    if (has(p, f)) {
      (model as any)[f] = p[f];
      model.present.add(f);
    }
  }
  if (has(p, 'modelVersion')) model.modelVersion = int64ToJs(p.modelVersion);
  model.metadataProps = entries(p.metadataProps);
  model.functions = p.functions ?? [];
  model.trainingInfo = p.trainingInfo ?? [];
  model.configuration = p.configuration ?? [];
  readGraph(model.graph, p.graph, readExternal);
  return model;
}

function readGraph(g: Graph, p: ProtoMessage, readExternal?: ExternalDataReader): void {
  g.name = p.name ?? '';
  g.docString = p.docString ?? '';
  g.metadataProps = entries(p.metadataProps);
  g.quantizationAnnotation = p.quantizationAnnotation ?? [];
  g.sparseInitializers = p.sparseInitializer ?? [];

  for (const vi of p.input as ProtoMessage[]) {
    const name = vi.name ?? '';
    if (g.value(name)) throw new UserError(`graph input '${name}' is listed twice`);
    const v = g.createNamedValue(name);
    applyValueInfo(v, vi);
    g.inputs.push(v);
  }
  for (const t of p.initializer as ProtoMessage[]) {
    const name = t.name ?? '';
    if (!name) throw new UserError('an initializer has no name');
    const tensor = tensorFromProto(t, 'initializer', readExternal);
    const asInput = g.value(name);
    if (asInput && asInput.isInitializer) throw new UserError(`initializer '${name}' is listed twice`);
    if (asInput) {
      // Older exports (IR < 4) list every initializer as a graph input too.
      g.adoptInitializer(asInput, tensor);
    } else {
      g.addInitializer(name, tensor, { exactName: true });
    }
  }
  for (const s of g.sparseInitializers) {
    const name: string = (s.values as { name?: string } | undefined)?.name ?? '';
    if (name && !g.value(name)) g.createNamedValue(name);
  }

  // Create every node and its outputs first, so inputs can refer forward.
  const nodes: [Node, ProtoMessage][] = [];
  for (const np of p.node as ProtoMessage[]) {
    const node = g.addNode({
      opType: np.opType ?? '',
      domain: np.domain ?? '',
      name: np.name || `${np.opType ?? 'node'}_${nodes.length}`,
      inputs: [],
      outputs: [],
    });
    for (const outName of np.output as string[]) {
      if (outName && g.value(outName)) {
        throw new UserError(`value '${outName}' is produced twice (by ${node.describe()} and earlier)`);
      }
      node._addOutput(g.createNamedValue(outName));
    }
    node.overload = np.overload ?? '';
    node.docString = np.docString ?? '';
    node.metadataProps = entries(np.metadataProps);
    node.deviceConfigurations = np.deviceConfigurations ?? [];
    for (const ap of np.attribute as ProtoMessage[]) node.setAttr(attributeFromProto(ap, node));
    nodes.push([node, np]);
  }
  for (const [node, np] of nodes) {
    node.setInputs((np.input as string[]).map((name) => (name === '' ? null : resolve(g, name, node))));
    for (const a of node.attributes.values()) {
      for (const sub of a.subgraphs()) {
        for (const name of namesDefinedInSubgraph(sub)) g.reservedNames.add(name);
        for (const name of freeNamesOfSubgraph(sub)) {
          if (!node.implicitInputs.some((e) => e.name === name)) node._addImplicitInput(name, resolve(g, name, node));
        }
      }
    }
  }

  for (const vi of p.output as ProtoMessage[]) {
    const name = vi.name ?? '';
    const v = g.value(name);
    if (!v) throw new UserError(`graph output '${name}' is not produced by any node, graph input or initializer`);
    if (g.outputs.includes(v)) throw new UserError(`graph output '${name}' is listed twice`);
    applyValueInfo(v, vi);
    g.outputs.push(v);
  }
  for (const vi of p.valueInfo as ProtoMessage[]) {
    const v = g.value(vi.name ?? '');
    if (v) applyValueInfo(v, vi);
  }
}

function resolve(g: Graph, name: string, node: Node): Value {
  const v = g.value(name);
  if (!v) throw new UserError(`input '${name}' of ${node.describe()} is not produced by any node, graph input or initializer`);
  return v;
}

function attributeFromProto(p: ProtoMessage, node: Node): Attribute {
  const name: string = p.name ?? '';
  let kind = ATTRIBUTE_KINDS[typeof p.type === 'string' ? kindNumber(p.type) : p.type ?? 0] ?? 'UNDEFINED';
  if (kind === 'UNDEFINED') kind = inferKind(p);
  let value: AttributeValue;
  const where = `attribute '${name}' of ${node.describe()}`;
  switch (kind) {
    case 'FLOAT': value = p.f ?? 0; break;
    case 'INT': value = int64ToJs(p.i ?? 0); break;
    case 'STRING': value = p.s ?? new Uint8Array(0); break;
    case 'TENSOR': value = tensorFromProto(p.t, where); break;
    case 'GRAPH': value = p.g as OpaqueProto; break;
    case 'SPARSE_TENSOR': value = p.sparseTensor as OpaqueProto; break;
    case 'TYPE_PROTO': value = p.tp as OpaqueProto; break;
    case 'FLOATS': value = [...(p.floats as number[])]; break;
    case 'INTS': value = (p.ints as unknown[]).map(int64ToJs); break;
    case 'STRINGS': value = [...(p.strings as Uint8Array[])]; break;
    case 'TENSORS': value = (p.tensors as ProtoMessage[]).map((t) => tensorFromProto(t, where)); break;
    case 'GRAPHS': value = p.graphs as OpaqueProto[]; break;
    case 'SPARSE_TENSORS': value = p.sparseTensors as OpaqueProto[]; break;
    case 'TYPE_PROTOS': value = p.typeProtos as OpaqueProto[]; break;
    default: value = undefined;
  }
  const a = new Attribute(name, kind, value);
  a.docString = p.docString ?? '';
  a.refAttrName = p.refAttrName ?? '';
  return a;
}

function kindNumber(name: string): number {
  const entry = Object.entries(ATTRIBUTE_KINDS).find(([, k]) => k === name);
  return entry ? Number(entry[0]) : 0;
}

/** IR version 1 had no type discriminator: infer it from the field in use. */
function inferKind(p: ProtoMessage): AttributeKind {
  if (has(p, 'f')) return 'FLOAT';
  if (has(p, 'i')) return 'INT';
  if (has(p, 's')) return 'STRING';
  if (has(p, 't')) return 'TENSOR';
  if (has(p, 'g')) return 'GRAPH';
  if (p.floats?.length) return 'FLOATS';
  if (p.ints?.length) return 'INTS';
  if (p.strings?.length) return 'STRINGS';
  if (p.tensors?.length) return 'TENSORS';
  if (p.graphs?.length) return 'GRAPHS';
  return 'UNDEFINED';
}

function applyValueInfo(v: Value, vi: ProtoMessage): void {
  if (has(vi, 'type')) v.type = typeFromProto(vi.type);
  if (vi.docString) v.docString = vi.docString;
  if (vi.metadataProps?.length) v.metadataProps = entries(vi.metadataProps);
}

export function typeFromProto(t: ProtoMessage): ValueType {
  if (!has(t, 'tensorType')) return { opaque: t };
  const tt = t.tensorType as ProtoMessage;
  let shape: Dim[] | null = null;
  let dimDenotations: (string | undefined)[] | undefined;
  if (has(tt, 'shape')) {
    const dims = tt.shape.dim as ProtoMessage[];
    shape = dims.map((d) => (has(d, 'dimValue') ? Number(int64ToJs(d.dimValue)) : has(d, 'dimParam') ? (d.dimParam as string) : null));
    if (dims.some((d) => d.denotation)) dimDenotations = dims.map((d) => d.denotation || undefined);
  }
  return {
    tensor: {
      elemType: (tt.elemType ?? 0) as DataType,
      shape,
      ...(dimDenotations ? { dimDenotations } : {}),
      ...(t.denotation ? { denotation: t.denotation } : {}),
    },
  };
}

function entries(list: ProtoMessage[] | undefined): StringEntry[] {
  return (list ?? []).map((e) => ({ key: e.key ?? '', value: e.value ?? '' }));
}
