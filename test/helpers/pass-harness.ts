// Runs passes on a model and compares onnxruntime outputs before and after on
// seeded inputs, the way onnxoptimizer's tests do.

import { expect } from 'chai';
import type { Model } from '../../compiler/ir/model.ts';
import { memoryLogger } from '../../compiler/logger.ts';
import { serializeModel } from '../../compiler/onnx/save.ts';
import type { Pass } from '../../compiler/pass-manager/pass.ts';
import { PassReport, runPasses } from '../../compiler/pass-manager/pass-manager.ts';
import { builtinRegistry } from '../../passes/index.ts';
import { difference, OutputDifference } from '../../runtime/evaluation/numeric-verifier.ts';
import { seededFeeds } from '../../runtime/evaluation/seeded-feeds.ts';
import { createSession, run } from '../../runtime/session.ts';

export interface PassOutcome {
  reports: PassReport[];
  declines: string[];
  worst: OutputDifference;
  logs: string[];
}

export async function applyAndCompare(model: Model, passes: (string | Pass)[], options: { seed?: number; samples?: number; dims?: Record<string, number> } = {}): Promise<PassOutcome> {
  const registry = builtinRegistry();
  const resolved = passes.flatMap((p) => (typeof p === 'string' ? registry.resolve([p]) : [p]));
  const feedsList = Array.from({ length: options.samples ?? 3 }, (_, i) => seededFeeds(model, { seed: `${options.seed ?? 0}:${i}`, dims: options.dims }));
  const before = await createSession(serializeModel(model));
  const reference = await Promise.all(feedsList.map((f) => run(before, f)));
  const logger = memoryLogger();
  const reports = await runPasses(model, resolved, { logger });
  const after = await createSession(serializeModel(model));
  let worst: OutputDifference = { output: '', maxAbs: 0, relative: 0 };
  for (let i = 0; i < feedsList.length; i++) {
    const feeds = Object.fromEntries(Object.entries(feedsList[i]).filter(([k]) => after.inputNames.includes(k)));
    const out = await run(after, feeds);
    for (const name of Object.keys(reference[i])) {
      const d = difference(name, reference[i][name].data as Float32Array, out[name].data as Float32Array);
      if (d.relative > worst.relative || worst.output === '') worst = d;
    }
  }
  return { reports, declines: reports.flatMap((r) => r.declines.map((d) => d.reason)), worst, logs: logger.lines };
}

export function expectExact(outcome: PassOutcome, relative = 1e-5): void {
  expect(outcome.worst.relative, `max abs ${outcome.worst.maxAbs} on ${outcome.worst.output}`).to.be.at.most(relative);
}

export function opCount(model: Model, opType: string): number {
  return model.graph.nodes.toArray().filter((n) => n.opType === opType).length;
}
