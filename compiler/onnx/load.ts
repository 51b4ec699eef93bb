// Reading a model from a file or a buffer. Every way a file can be wrong (it
// is missing, empty, truncated, not protobuf, not ONNX, its external data is
// missing or short) ends in one UserError sentence, never a stack trace.

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';
import type { Model } from '../ir/model.ts';
import { validateGraph } from '../ir/validate.ts';
import { modelFromProto } from './model-from-proto.ts';
import { ModelProto } from './proto-schema.ts';
import type { ExternalDataReader } from './tensor-from-proto.ts';

export interface LoadOptions {
  /** Directory external data locations are relative to (the model file's directory). */
  baseDir?: string;
  /** Name used in error messages. */
  label?: string;
}

const sourcePaths = new WeakMap<Model, string>();

/** The file a model was loaded from, so saving can refuse to overwrite it. */
export function sourcePathOf(model: Model): string | undefined {
  return sourcePaths.get(model);
}

export function loadModel(file: string): Model {
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read '${file}': ${describeFsError(e)}`);
  }
  const model = loadModelFromBuffer(buffer, { baseDir: path.dirname(path.resolve(file)), label: file });
  sourcePaths.set(model, path.resolve(file));
  return model;
}

export function loadModelFromBuffer(buffer: Uint8Array, options: LoadOptions = {}): Model {
  const label = options.label ?? 'the model buffer';
  if (buffer.byteLength === 0) throw new UserError(`'${label}' is empty: not an ONNX model`);
  let decoded;
  try {
    decoded = ModelProto.decode(buffer);
  } catch (e) {
    throw new UserError(`'${label}' is not a valid ONNX model (truncated or not protobuf: ${(e as Error).message})`);
  }
  const reader = options.baseDir ? externalDataReader(options.baseDir, label) : undefined;
  try {
    const model = modelFromProto(decoded, reader?.read);
    const problems = validateGraph(model.graph);
    if (problems.length) throw new UserError(problems[0]);
    return model;
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`'${label}': ${e.message}`);
    throw e;
  } finally {
    reader?.close();
  }
}

function externalDataReader(baseDir: string, label: string): { read: ExternalDataReader; close: () => void } {
  const files = new Map<string, { fd: number; size: number }>();
  const open = (location: string, tensor: string) => {
    let f = files.get(location);
    if (f) return f;
    if (path.isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
      throw new UserError(`tensor '${tensor}' points at external data '${location}' outside the model's directory`);
    }
    const full = path.join(baseDir, location);
    try {
      const fd = fs.openSync(full, 'r');
      f = { fd, size: fs.fstatSync(fd).size };
    } catch (e) {
      throw new UserError(`external data file '${location}' of tensor '${tensor}' cannot be read: ${describeFsError(e)}`);
    }
    files.set(location, f);
    return f;
  };
  const read: ExternalDataReader = (tensor, entries, expectedBytes) => {
    const location = entries.get('location');
    if (!location) throw new UserError(`tensor '${tensor}' is marked external but has no location`);
    const offset = Number(entries.get('offset') ?? 0);
    const length = entries.has('length') ? Number(entries.get('length')) : expectedBytes;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new UserError(`tensor '${tensor}' has an invalid external offset/length`);
    }
    if (length !== expectedBytes) {
      throw new UserError(`tensor '${tensor}' declares ${length} bytes of external data but its shape needs ${expectedBytes}`);
    }
    const f = open(location, tensor);
    if (offset + length > f.size) {
      throw new UserError(`external data file '${location}' is too short: tensor '${tensor}' needs bytes ${offset}..${offset + length}, the file has ${f.size}`);
    }
    const bytes = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) done += fs.readSync(f.fd, bytes, done, length - done, offset + done);
    return bytes;
  };
  void label;
  return { read, close: () => files.forEach((f) => fs.closeSync(f.fd)) };
}

function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'it is a directory';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message;
}
