// The runtime side of ModelServices: passes ask to watch tensors on the
// calibration or evaluation stream; this runs onnxruntime on the generator's
// samples.

import type { Model } from '../compiler/ir/model.ts';
import type { LocalSession, ModelServices, ObserveOptions } from '../compiler/pass-manager/services.ts';
import { createSession, run, ort } from './session.ts';
import type { InputGenerator } from './generators/input-generator.ts';
import { modelInput, watchTensors } from './model-runner.ts';

export interface SampleStream {
  generator: InputGenerator;
  samples: number;
  firstSample?: number;
}

export interface ServiceSettings {
  calibration: SampleStream;
  /** Held-out inputs for passes that judge their own choices; defaults to the calibration stream. */
  evaluation?: SampleStream;
  /** Symbolic input dimensions (e.g. batch, height) by name. */
  dims?: Record<string, number>;
  threads?: number;
  memoryBudgetBytes?: number;
  onProgress?: (label: string, done: number, total: number) => void;
}

export function createModelServices(settings: ServiceSettings): ModelServices {
  const streamOf = (stream: ObserveOptions['stream']) => (stream === 'evaluation' ? settings.evaluation ?? settings.calibration : settings.calibration);
  return {
    sampleCount: (stream) => streamOf(stream).samples,
    async session(model: Model): Promise<LocalSession> {
      const session = await createSession(model, { threads: 1 });
      return {
        async run(inputs) {
          const feeds = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, new ort.Tensor('float32', t.data, t.dims)]));
          const out = await run(session, feeds);
          return new Map(session.outputNames.map((n) => [n, { data: out[n].data as Float32Array, dims: out[n].dims as number[] }]));
        },
        release: () => session.release(),
      };
    },
    async observe(model: Model, tensors, visit, options = {}) {
      const s = streamOf(options.stream);
      const samples = Math.min(s.samples, options.maxSamples ?? s.samples);
      await watchTensors(model, tensors, {
        generator: s.generator,
        firstSample: s.firstSample,
        samples,
        threads: settings.threads,
        memoryBudgetBytes: settings.memoryBudgetBytes,
        subsample: options.subsample,
        onProgress: settings.onProgress && ((done, total) => settings.onProgress!(options.stream ?? 'calibration', done, total)),
      }, visit, modelInput(model, settings.dims));
    },
  };
}
