// --verify: after each pass, run the model as it now stands and the input
// model on the same seeded inputs and compare every output. A pass that
// declares itself exact must keep outputs within 1e-4 relative; others (the
// quantizing ones) are reported, not failed.

import { PassError } from '../../compiler/errors.ts';
import type { Model } from '../../compiler/ir/model.ts';
import type { Logger } from '../../compiler/logger.ts';
import type { Pass } from '../../compiler/pass-manager/pass.ts';
import { serializeModel } from '../../compiler/onnx/save.ts';
import { createSession, run, Feeds, ort } from '../session.ts';
import { seededFeeds } from './seeded-feeds.ts';

export const EXACT_RELATIVE_TOLERANCE = 1e-4;
/** Below this magnitude float32 rounding dominates any relative figure (sigmoid outputs near 0). */
const MAGNITUDE_FLOOR = 1e-2;

export interface OutputDifference {
  output: string;
  maxAbs: number;
  /** maxAbs relative to the largest reference magnitude (at least MAGNITUDE_FLOOR). */
  relative: number;
}

export async function numericVerifier(original: Model, logger: Logger, options: { dims?: Record<string, number> } = {}) {
  const feeds = seededFeeds(original, { seed: 'verify', dims: options.dims });
  const reference = await run(await createSession(serializeModel(original)), feeds);
  return {
    async afterPass(pass: Pass, model: Model): Promise<void> {
      const diffs = await compareWithReference(model, feeds, reference);
      const worst = diffs.reduce((a, b) => (b.relative > a.relative ? b : a), { output: '', maxAbs: 0, relative: 0 });
      const line = `verify ${pass.name}: max abs diff ${worst.maxAbs.toExponential(2)} (relative ${worst.relative.toExponential(2)})${worst.output ? ` on '${worst.output}'` : ''}`;
      if (pass.exact && worst.relative > EXACT_RELATIVE_TOLERANCE) throw new PassError(pass.name, `is declared exact but ${line}`);
      logger.info(line);
    },
  };
}

export async function compareWithReference(model: Model, feeds: Feeds, reference: Record<string, ort.Tensor>): Promise<OutputDifference[]> {
  const session = await createSession(serializeModel(model));
  const ownFeeds: Feeds = {};
  for (const name of session.inputNames) if (feeds[name]) ownFeeds[name] = feeds[name];
  const outputs = await run(session, ownFeeds);
  return Object.keys(reference)
    .filter((name) => outputs[name])
    .map((name) => difference(name, reference[name].data as Float32Array, outputs[name].data as Float32Array));
}

export function difference(output: string, ref: ArrayLike<number>, got: ArrayLike<number>): OutputDifference {
  let maxAbs = 0, maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(Number(ref[i]) - Number(got[i]));
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
    const r = Math.abs(Number(ref[i]));
    if (r > maxRef) maxRef = r;
  }
  if (ref.length !== got.length) maxAbs = Infinity;
  return { output, maxAbs, relative: maxAbs / Math.max(maxRef, MAGNITUDE_FLOOR) };
}
