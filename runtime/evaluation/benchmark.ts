// bench: latency of models in onnxruntime-node with a fixed thread count,
// measured in interleaved rounds (model A, B, A, B ...) so that machine noise
// hits all models alike, and reported as medians and ratios from one run.

import { createSession, run, ort } from '../session.ts';
import type { ModelInput } from '../model-runner.ts';

export interface BenchSettings {
  threads: number;
  runs: number;
  warmup: number;
  input: ModelInput;
}

export interface BenchResult {
  name: string;
  medianMs: number;
  p90Ms: number;
  /** Median relative to the first model's median. */
  ratio: number;
}

export async function benchmark(models: { name: string; model: Uint8Array | string }[], settings: BenchSettings): Promise<BenchResult[]> {
  const sessions = await Promise.all(models.map((m) => createSession(m.model, { threads: settings.threads })));
  const per = settings.input.sampleDims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: per }, (_, i) => Math.sin(i * 0.37));
  const feeds = { [settings.input.name]: new ort.Tensor('float32', data, [1, ...settings.input.sampleDims]) };
  for (let r = 0; r < settings.warmup; r++) for (const s of sessions) await run(s, feeds);
  const times: number[][] = sessions.map(() => []);
  for (let r = 0; r < settings.runs; r++) {
    for (let k = 0; k < sessions.length; k++) {
      const t0 = performance.now();
      await run(sessions[k], feeds);
      times[k].push(performance.now() - t0);
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  const medians = times.map((t) => quantile(t, 0.5));
  return models.map((m, k) => ({ name: m.name, medianMs: medians[k], p90Ms: quantile(times[k], 0.9), ratio: medians[k] / medians[0] }));
}

export function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
