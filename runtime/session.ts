// onnxruntime-node sessions for IR models. The one place (with its siblings in
// runtime/) that imports onnxruntime.

import * as ort from 'onnxruntime-node';
import type { Model } from '../compiler/ir/model.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
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
    return await (typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options));
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

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}

export { ort };
