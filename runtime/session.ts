// onnxruntime-node sessions for IR models. The one place (with its siblings in
// runtime/) that imports onnxruntime.

import * as ort from 'onnxruntime-node';
import type { Model } from '../compiler/ir/model.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
import { DataType } from '../compiler/ir/data-type.ts';
import { UserError } from '../compiler/errors.ts';

export type Optimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionSettings {
  /** Intra-op threads; 1 makes latency figures comparable across machines. */
  threads?: number;
  optimization?: Optimization;
  /** Save the model as onnxruntime optimized it (to see which kernels it fused). */
  optimizedModelPath?: string;
}

export type Feeds = Record<string, ort.Tensor>;

export async function createSession(model: Model | Uint8Array | string, settings: SessionSettings = {}): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: settings.optimization ?? 'all',
    intraOpNumThreads: settings.threads ?? 0,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Warnings about initializers listed as inputs and the like are noise here.
    logSeverityLevel: 3,
    ...(settings.optimizedModelPath ? { optimizedModelFilePath: settings.optimizedModelPath } : {}),
  };
  const source = typeof model === 'string' || model instanceof Uint8Array ? model : serializeModel(model);
  try {
    return typeof source === 'string' ? await ort.InferenceSession.create(source, options) : await ort.InferenceSession.create(source, options);
  } catch (e) {
    throw new UserError(`onnxruntime cannot load the model: ${firstLine((e as Error).message)}`);
  }
}

export async function run(session: ort.InferenceSession, feeds: Feeds, fetches?: readonly string[]): Promise<Record<string, ort.Tensor>> {
  try {
    return (await (fetches ? session.run(feeds, fetches as string[]) : session.run(feeds))) as Record<string, ort.Tensor>;
  } catch (e) {
    throw new UserError(`onnxruntime failed to run the model: ${firstLine((e as Error).message)}`);
  }
}

const ORT_TYPES: Partial<Record<DataType, ort.Tensor.Type>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.UINT16]: 'uint16',
  [DataType.INT16]: 'int16',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.BOOL]: 'bool',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
  [DataType.UINT32]: 'uint32',
  [DataType.UINT64]: 'uint64',
};

export function ortType(type: DataType): ort.Tensor.Type {
  const t = ORT_TYPES[type];
  if (!t) throw new UserError(`onnxruntime-node cannot feed tensors of ONNX type ${type}`);
  return t;
}

export function float32Tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims as number[]);
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}

export { ort };
