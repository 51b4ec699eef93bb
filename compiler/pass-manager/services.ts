// What a pass may ask of the runtime. runtime/ implements this with
// onnxruntime-node sessions and the synthetic input generators; the pass only
// sees tensors, so it stays testable and free of onnxruntime.

import type { Model } from '../ir/model.ts';

export interface ObservedTensor {
  data: Float32Array;
  dims: number[];
  /** Set when `data` is a subsample: the exact extremes of the whole tensor. */
  subsampled?: boolean;
  min?: number;
  max?: number;
}

export interface ObserveOptions {
  /** Which input stream: the calibration set (default) or a held-out evaluation set. */
  stream?: 'calibration' | 'evaluation';
  /** Stop after this many samples (default: the stream's size). */
  maxSamples?: number;
  /** Large tensors may arrive as a subsample plus exact min/max (enough for statistics). */
  subsample?: boolean;
}

/** A session on a small model a pass built (a layer cut out of the model), fed directly. */
export interface LocalSession {
  run(inputs: Record<string, ObservedTensor>): Promise<Map<string, ObservedTensor>>;
  release(): Promise<void>;
}

export interface ModelServices {
  /** Opens a session on `model` (single-threaded: passes run many small ones). */
  session(model: Model): Promise<LocalSession>;
  /**
   * Runs `model` on the input stream and calls `visit` once per sample with the
   * values of the named tensors (any tensor of the graph, not only outputs).
   * Memory stays bounded: each sample's tensors are released after `visit`.
   */
  observe(
    model: Model,
    tensorNames: readonly string[],
    visit: (sample: ReadonlyMap<string, ObservedTensor>, index: number) => void | Promise<void>,
    options?: ObserveOptions,
  ): Promise<void>;
  /** Samples in the stream. */
  sampleCount(stream?: 'calibration' | 'evaluation'): number;
}
