// A model: the main graph plus everything around it. The parts the IR does not
// rewrite (functions, training info, device configurations) are kept as decoded
// protobuf objects and written back as they were.

import type { Int64, OpaqueProto } from './attribute.ts';
import { Graph } from './graph.ts';
import type { StringEntry } from './tensor.ts';

export class Model {
  irVersion = 8;
  /** domain -> version; the default domain is ''. */
  readonly opsetImports = new Map<string, number>();
  producerName = '';
  producerVersion = '';
  domain = '';
  modelVersion: Int64 | undefined;
  docString = '';
  metadataProps: StringEntry[] = [];
  functions: OpaqueProto[] = [];
  trainingInfo: OpaqueProto[] = [];
  configuration: OpaqueProto[] = [];
  /** Which protobuf fields were present on load, so absent ones stay absent. */
  readonly present = new Set<string>();
  readonly graph: Graph;

  constructor() {
    this.graph = new Graph(this);
  }

  /** The version the domain is imported at ('' and 'ai.onnx' are the same domain). */
  opsetVersion(domain = ''): number {
    const d = domain === 'ai.onnx' ? '' : domain;
    return this.opsetImports.get(d) ?? (d === '' ? this.opsetImports.get('ai.onnx') ?? 0 : 0);
  }
}
