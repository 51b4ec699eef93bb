// How close a (quantized) model's outputs stay to reference outputs on the
// evaluation stream: the measure the sensitivity and mixed-precision passes
// optimise. Reference outputs are computed once per pipeline run.

import type { Model } from '../../compiler/ir/model.ts';
import type { PassContext } from '../../compiler/pass-manager/pass.ts';

export interface Agreement {
  /** Mean cosine similarity of the first output (per sample). */
  cosine: number;
  /** Output SQNR in dB over all samples. */
  sqnrDb: number;
}

const REFERENCE_ARTIFACT = 'reference-outputs';

export async function referenceOutputs(model: Model, ctx: PassContext, samples: number): Promise<Float32Array[]> {
  const cached = ctx.artifacts.get(REFERENCE_ARTIFACT) as { samples: number; outputs: Float32Array[] } | undefined;
  if (cached && cached.samples === samples) return cached.outputs;
  const outputs = await outputsOf(model, ctx, samples);
  ctx.artifacts.set(REFERENCE_ARTIFACT, { samples, outputs });
  return outputs;
}

export async function outputsOf(model: Model, ctx: PassContext, samples: number): Promise<Float32Array[]> {
  const name = model.graph.outputs[0].name;
  const out: Float32Array[] = [];
  await ctx.services!.observe(model, [name], (sample) => {
    out.push(Float32Array.from(sample.get(name)!.data));
  }, { stream: 'evaluation', maxSamples: samples });
  return out;
}

export function agreementOf(reference: Float32Array[], outputs: Float32Array[]): Agreement {
  let cosine = 0, signal = 0, noise = 0;
  for (let s = 0; s < reference.length; s++) {
    const a = reference[s], b = outputs[s];
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
      const d = a[i] - b[i];
      noise += d * d;
    }
    signal += na;
    cosine += na && nb ? dot / Math.sqrt(na * nb) : na === nb ? 1 : 0;
  }
  return { cosine: cosine / reference.length, sqnrDb: noise ? 10 * Math.log10(signal / noise) : Infinity };
}
