// compare: how far a quantized model's outputs are from the float model's, on
// the same generated inputs; with `layers`, the SQNR of every intermediate
// tensor the two models share by name (which layers lose the most).

import type { Model } from '../../compiler/ir/model.ts';
import { floatActivations } from '../../passes/quantize/float-activations.ts';
import type { InputGenerator } from '../generators/input-generator.ts';
import { instrument, ModelInput } from '../model-runner.ts';
import { createSession, run, ort, SessionSettings } from '../session.ts';
import { OutputComparison, OutputSummary } from './output-metrics.ts';

export interface CompareSettings {
  generator: InputGenerator;
  samples: number;
  input: ModelInput;
  layers?: boolean;
  session?: SessionSettings;
}

export interface CompareReport {
  samples: number;
  outputs: ({ name: string } & OutputSummary)[];
  /** Shared intermediate tensors, worst SQNR first. */
  layers?: { tensor: string; sqnrDb: number; meanCosine: number }[];
}

export async function compareModels(float: Model, quantized: Model, settings: CompareSettings): Promise<CompareReport> {
  const outputs = float.graph.outputs.map((v) => v.name).filter((n) => quantized.graph.outputs.some((o) => o.name === n));
  const quantizedNames = new Set(floatActivations(quantized));
  const graphOutputs = new Set(outputs);
  const layers = settings.layers ? floatActivations(float).filter((n) => quantizedNames.has(n) && !graphOutputs.has(n) && n !== settings.input.name) : [];
  const a = await createSession(layers.length ? instrument(float, layers) : instrumentNothing(float), settings.session);
  const b = await createSession(layers.length ? instrument(quantized, layers) : instrumentNothing(quantized), settings.session);
  const fetch = [...outputs, ...layers];
  const comparisons = new Map<string, OutputComparison>();
  const per = settings.input.sampleDims.reduce((x, y) => x * y, 1);
  for (let i = 0; i < settings.samples; i++) {
    const data = new Float32Array(per);
    await settings.generator.sample(i, data);
    const feeds = { [settings.input.name]: new ort.Tensor('float32', data, [1, ...settings.input.sampleDims]) };
    const [ra, rb] = await Promise.all([run(a, feeds, fetch), run(b, feeds, fetch)]);
    for (const name of fetch) {
      const x = ra[name].data as Float32Array, y = rb[name].data as Float32Array;
      if (x.length !== y.length) continue;
      // Outputs are compared per vector (the last axis, e.g. a 512-d embedding); layers as whole tensors.
      const length = graphOutputs.has(name) ? (ra[name].dims.at(-1) as number) || x.length : x.length;
      if (!comparisons.has(name)) comparisons.set(name, new OutputComparison(length));
      comparisons.get(name)!.add(x, y);
    }
  }
  await Promise.all([a.release(), b.release()]);
  const report: CompareReport = {
    samples: settings.samples,
    outputs: outputs.map((name) => ({ name, ...comparisons.get(name)!.summary() })),
  };
  if (settings.layers) {
    report.layers = layers
      .filter((n) => comparisons.has(n))
      .map((tensor) => {
        const s = comparisons.get(tensor)!.summary();
        return { tensor, sqnrDb: s.sqnrDb, meanCosine: s.meanCosine };
      })
      .sort((x, y) => x.sqnrDb - y.sqnrDb);
  }
  return report;
}

function instrumentNothing(model: Model): Uint8Array {
  return instrument(model, []);
}
