// verify: face verification accuracy of one or more embedding models on a
// labelled face set, and (given several models) how many pair decisions the
// later ones change relative to the first.

import { createSession, run, ort } from '../session.ts';
import type { ModelInput } from '../model-runner.ts';
import type { FaceSet } from './face-sets.ts';
import { l2normalize, verificationReport, VerificationReport } from './verification-metrics.ts';

export interface VerifySettings {
  input: ModelInput;
  seed: number | string;
  /** Impostor pairs sampled per genuine pair (default 10, capped at 100 000 pairs). */
  impostorPerGenuine?: number;
}

export async function embedFaces(model: Uint8Array | string, set: FaceSet, input: ModelInput): Promise<Float32Array[]> {
  const session = await createSession(model);
  const out: Float32Array[] = [];
  for (const sample of set.samples) {
    const result = await run(session, { [input.name]: new ort.Tensor('float32', sample, [1, ...input.sampleDims]) });
    out.push(l2normalize(Float32Array.from(result[session.outputNames[0]].data as Float32Array)));
  }
  await session.release();
  return out;
}

export async function verifyModels(models: (Uint8Array | string)[], set: FaceSet, settings: VerifySettings): Promise<VerificationReport[]> {
  const embeddings: Float32Array[][] = [];
  for (const m of models) embeddings.push(await embedFaces(m, set, settings.input));
  const pairs = { seed: settings.seed, impostorPerGenuine: settings.impostorPerGenuine ?? 10, maxImpostors: 100_000 };
  return embeddings.map((e, i) => verificationReport(e, set.labels, { pairs, reference: i > 0 ? embeddings[0] : undefined }));
}
