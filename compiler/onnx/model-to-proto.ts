// Model -> ModelProto object (encoded by protobufjs). Nodes are written in
// topological order; types the IR knows become value_info; everything kept
// opaque on load is written back as it was.

import type { Attribute, Int64, OpaqueProto } from '../ir/attribute.ts';
import { DataType } from '../ir/data-type.ts';
import type { Graph } from '../ir/graph.ts';
import type { Model } from '../ir/model.ts';
import type { Node } from '../ir/node.ts';
import type { StringEntry, Tensor } from '../ir/tensor.ts';
import { topologicalOrder } from '../ir/topological-sort.ts';
import type { Value, ValueType } from '../ir/value.ts';
import { ProtoMessage, jsToInt64 } from './proto-schema.ts';
import { renameFreeNames } from './subgraph-names.ts';

/** Where an initializer's bytes go: null keeps them in the model, else external_data entries. */
export type ExternalDataWriter = (name: string, tensor: Tensor) => StringEntry[] | null;

const KIND_NUMBERS: Record<string, number> = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
};

export function modelToProto(model: Model, writeExternal?: ExternalDataWriter): ProtoMessage {
  const p: ProtoMessage = {
    irVersion: model.irVersion,
    opsetImport: [...model.opsetImports].map(([domain, version]) => (domain ? { domain, version } : { domain: '', version })),
    graph: graphToProto(model.graph, writeExternal),
    metadataProps: model.metadataProps,
    trainingInfo: model.trainingInfo,
    functions: model.functions,
    configuration: model.configuration,
  };
  for (const f of ['producerName', 'producerVersion', 'domain', 'docString'] as const) {
    if (model[f] || model.present.has(f)) p[f] = model[f];
  }
  if (model.modelVersion !== undefined) p.modelVersion = jsToInt64(model.modelVersion);
  return p;
}

function graphToProto(g: Graph, writeExternal?: ExternalDataWriter): ProtoMessage {
  const nodes = topologicalOrder(g);
  const interfaceValues = new Set<Value>([...g.inputs, ...g.outputs, ...g.initializers()]);
  const valueInfo: ProtoMessage[] = [];
  for (const n of nodes) {
    for (const o of n.outputs) {
      if (o.name && o.type && !interfaceValues.has(o)) valueInfo.push(valueInfoToProto(o));
    }
  }
  const p: ProtoMessage = {
    node: nodes.map(nodeToProto),
    name: g.name,
    initializer: g.initializers().map((v) => tensorToProto(v.name, v.constValue!, writeExternal)),
    sparseInitializer: g.sparseInitializers,
    input: g.inputs.map(valueInfoToProto),
    output: g.outputs.map(valueInfoToProto),
    valueInfo,
    quantizationAnnotation: g.quantizationAnnotation,
    metadataProps: g.metadataProps,
  };
  if (g.docString) p.docString = g.docString;
  return p;
}

function nodeToProto(n: Node): ProtoMessage {
  const renames = new Map<string, string>();
  for (const { name, value } of n.implicitInputs) if (name !== value.name) renames.set(name, value.name);
  const p: ProtoMessage = {
    input: n.inputs.map((v) => v?.name ?? ''),
    output: n.outputs.map((v) => v.name),
    name: n.name,
    opType: n.opType,
    attribute: [...n.attributes.values()].map((a) => attributeToProto(a, renames)),
    metadataProps: n.metadataProps,
    deviceConfigurations: n.deviceConfigurations,
  };
  if (n.domain) p.domain = n.domain;
  if (n.overload) p.overload = n.overload;
  if (n.docString) p.docString = n.docString;
  return p;
}

function attributeToProto(a: Attribute, renames: Map<string, string>): ProtoMessage {
  const p: ProtoMessage = { name: a.name, type: KIND_NUMBERS[a.kind] };
  if (a.docString) p.docString = a.docString;
  if (a.refAttrName) p.refAttrName = a.refAttrName;
  const v = a.value;
  const sub = (g: OpaqueProto) => (renames.size ? renameFreeNames(g, renames) : g);
  switch (a.kind) {
    case 'FLOAT': p.f = v; break;
    case 'INT': p.i = jsToInt64(v as Int64); break;
    case 'STRING': p.s = v; break;
    case 'TENSOR': p.t = tensorToProto('', v as Tensor); break;
    case 'GRAPH': p.g = sub(v as OpaqueProto); break;
    case 'SPARSE_TENSOR': p.sparseTensor = v; break;
    case 'TYPE_PROTO': p.tp = v; break;
    case 'FLOATS': p.floats = v; break;
    case 'INTS': p.ints = (v as Int64[]).map(jsToInt64); break;
    case 'STRINGS': p.strings = v; break;
    case 'TENSORS': p.tensors = (v as Tensor[]).map((t) => tensorToProto('', t)); break;
    case 'GRAPHS': p.graphs = (v as OpaqueProto[]).map(sub); break;
    case 'SPARSE_TENSORS': p.sparseTensors = v; break;
    case 'TYPE_PROTOS': p.typeProtos = v; break;
  }
  return p;
}

export function tensorToProto(name: string, t: Tensor, writeExternal?: ExternalDataWriter): ProtoMessage {
  const p: ProtoMessage = { dims: [...t.dims], dataType: t.dataType, metadataProps: t.metadataProps };
  if (name) p.name = name;
  if (t.docString) p.docString = t.docString;
  if (t.dataType === DataType.STRING) {
    p.stringData = t.stringData;
    return p;
  }
  const external = writeExternal?.(name, t);
  if (external) {
    p.externalData = external;
    p.dataLocation = 1;
  } else {
    p.rawData = t.rawData;
  }
  return p;
}

function valueInfoToProto(v: Value): ProtoMessage {
  const p: ProtoMessage = { name: v.name, metadataProps: v.metadataProps };
  if (v.type) p.type = typeToProto(v.type);
  if (v.docString) p.docString = v.docString;
  return p;
}

function typeToProto(t: ValueType): ProtoMessage {
  if ('opaque' in t) return t.opaque;
  const { elemType, shape, dimDenotations, denotation } = t.tensor;
  const tensorType: ProtoMessage = { elemType };
  if (shape) {
    tensorType.shape = {
      dim: shape.map((d, i) => {
        const dim: ProtoMessage = typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {};
        if (dimDenotations?.[i]) dim.denotation = dimDenotations[i];
        return dim;
      }),
    };
  }
  const p: ProtoMessage = { tensorType };
  if (denotation) p.denotation = denotation;
  return p;
}
