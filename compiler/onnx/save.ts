// Writing a model. Output is atomic (a temporary file in the same directory,
// then a rename), the file a model was loaded from is never overwritten, and
// tensors move to an external data file on request or when the model would
// pass protobuf's 2 GB message limit.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';
import type { Model } from '../ir/model.ts';
import type { StringEntry, Tensor } from '../ir/tensor.ts';
import { sourcePathOf } from './load.ts';
import { ExternalDataWriter, modelToProto } from './model-to-proto.ts';
import { ModelProto } from './proto-schema.ts';

/** protobuf cannot encode or parse a message of 2 GiB or more; keep a margin for the graph itself. */
export const PROTOBUF_LIMIT_BYTES = 2 ** 31 - 1;
const AUTO_EXTERNAL_BYTES = PROTOBUF_LIMIT_BYTES - 64 * 2 ** 20;

export interface SaveOptions {
  /** true, or where to put it; default: only when the model would pass the 2 GB limit. */
  externalData?: boolean | { location?: string; minTensorBytes?: number };
}

export interface SaveResult {
  modelBytes: number;
  externalBytes: number;
  externalFile?: string;
}

/** The encoded model. A view on the encoder's own buffer (finish(true)): one copy of a large model fewer. */
export function serializeModel(model: Model): Uint8Array {
  return encode(modelToProto(model));
}

function encode(proto: Record<string, unknown>): Uint8Array {
  const writer = ModelProto.encode(proto) as unknown as { finish(shared?: boolean): Uint8Array };
  return writer.finish(true);
}

export function saveModel(model: Model, file: string, options: SaveOptions = {}): SaveResult {
  const target = path.resolve(file);
  refuseToOverwriteSource(model, target);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir)) throw new UserError(`cannot write '${file}': directory '${dir}' does not exist`);

  const tensorBytes = model.graph.initializers().reduce((s, v) => s + v.constValue!.byteLength, 0);
  const wantExternal = options.externalData ?? tensorBytes > AUTO_EXTERNAL_BYTES;
  if (!wantExternal) {
    const bytes = serializeModel(model);
    writeAtomic(target, [bytes]);
    return { modelBytes: bytes.byteLength, externalBytes: 0 };
  }

  const settings = typeof wantExternal === 'object' ? wantExternal : {};
  const location = settings.location ?? `${path.basename(target)}.data`;
  if (path.isAbsolute(location) || location.includes('..')) throw new UserError(`external data location '${location}' must be a file name next to the model`);
  const minBytes = settings.minTensorBytes ?? 1024;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const writer: ExternalDataWriter = (_name: string, tensor: Tensor): StringEntry[] | null => {
    if (tensor.byteLength < minBytes) return null;
    // Page-aligned offsets let runtimes memory-map large tensors.
    const align = tensor.byteLength >= 65536 ? 4096 : 64;
    const padding = (align - (offset % align)) % align;
    if (padding) chunks.push(new Uint8Array(padding));
    offset += padding;
    const raw = tensor.rawData;
    chunks.push(raw);
    const entries = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.byteLength) },
    ];
    offset += raw.byteLength;
    return entries;
  };
  const bytes = encode(modelToProto(model, writer));
  const dataFile = path.join(dir, location);
  if (path.resolve(dataFile) === sourcePathOf(model)) throw new UserError(`refusing to overwrite the input model with external data '${location}'`);
  writeAtomic(dataFile, chunks);
  writeAtomic(target, [bytes]);
  return { modelBytes: bytes.byteLength, externalBytes: offset, externalFile: dataFile };
}

function refuseToOverwriteSource(model: Model, target: string): void {
  const source = sourcePathOf(model);
  if (!source) return;
  if (source === target) throw new UserError(`refusing to overwrite the input model '${target}': choose another output path`);
  try {
    const a = fs.statSync(source), b = fs.statSync(target);
    if (a.ino === b.ino && a.dev === b.dev) throw new UserError(`refusing to overwrite the input model: '${target}' is the same file`);
  } catch (e) {
    if (e instanceof UserError) throw e;
  }
}

/** Writes chunks to a temporary file beside `target`, then renames it into place. */
export function writeAtomic(target: string, chunks: Uint8Array[]): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.quantface-tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx');
    for (const c of chunks) {
      let done = 0;
      while (done < c.byteLength) done += fs.writeSync(fd, c, done, c.byteLength - done);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    const err = e as NodeJS.ErrnoException;
    if (err.code) throw new UserError(`cannot write '${target}': ${err.message}`);
    throw e;
  }
}
