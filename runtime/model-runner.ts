// Running a model on generated inputs while watching any of its tensors. An
// instrumented copy exposes the watched tensors as extra graph outputs; the
// watched set is split into groups so that one batch of them fits a memory
// budget, and each group is one pass over the samples. While onnxruntime
// computes the next batch (on its own threads), the caller consumes the
// current one on the JS thread.

import { DataType } from '../compiler/ir/data-type.ts';
import type { Model } from '../compiler/ir/model.ts';
import { UserError } from '../compiler/errors.ts';
import { loadModelFromBuffer } from '../compiler/onnx/load.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
import type { ObservedTensor } from '../compiler/pass-manager/services.ts';
import type { InputGenerator } from './generators/input-generator.ts';
import { createSession, run, ort } from './session.ts';

export const DEFAULT_MEMORY_BUDGET = 512 * 2 ** 20;

export interface RunPlan {
  generator: InputGenerator;
  /** Index of the first sample (shards start elsewhere than 0) and how many. */
  firstSample?: number;
  samples: number;
  /** Samples per onnxruntime call when the batch dimension is dynamic (default 8). */
  batchSize?: number;
  /** Bytes of watched tensors one batch may hold (default 512 MiB). */
  memoryBudgetBytes?: number;
  threads?: number;
  onProgress?: (samplesDone: number, samplesTotal: number) => void;
}

export interface ModelInput {
  name: string;
  /** Dims of one sample (no batch dimension). */
  sampleDims: number[];
  dynamicBatch: boolean;
}

/** The single data input a generator feeds. */
export function modelInput(model: Model, dims: Record<string, number> = {}): ModelInput {
  const inputs = model.graph.inputs.filter((v) => !v.isInitializer);
  if (inputs.length !== 1) throw new UserError(`quantface feeds models with exactly one input; this one has ${inputs.length} (${inputs.map((v) => v.name).join(', ')})`);
  const v = inputs[0];
  if (v.tensorType?.elemType !== DataType.FLOAT) throw new UserError(`input '${v.name}' is not float32`);
  const shape = v.shape;
  if (!shape || shape.length < 1) throw new UserError(`input '${v.name}' has no declared shape`);
  const sampleDims = shape.slice(1).map((d, i) => {
    if (typeof d === 'number' && d > 0) return d;
    const named = typeof d === 'string' ? dims[d] : undefined;
    if (named) return named;
    throw new UserError(`input '${v.name}' dimension ${i + 1} is not fixed (${d ?? '?'}); give it with --input-shape`);
  });
  return { name: v.name, sampleDims, dynamicBatch: typeof shape[0] !== 'number' };
}

/**
 * Runs `model` on the plan's samples and calls `visit` for every sample with
 * the watched tensors. Tensors not produced as float (an int64 shape computed
 * at run time) are skipped.
 */
export async function watchTensors(
  model: Model,
  tensors: readonly string[],
  plan: RunPlan,
  visit: (sample: ReadonlyMap<string, ObservedTensor>, index: number) => void | Promise<void>,
  input: ModelInput = modelInput(model),
): Promise<void> {
  const first = plan.firstSample ?? 0;
  const batchSize = input.dynamicBatch ? Math.max(1, plan.batchSize ?? 8) : 1;
  const budget = plan.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
  const groups = await groupBySize(model, tensors, plan, input, Math.max(1, Math.floor(budget / batchSize)));
  const total = plan.samples * groups.length;
  let done = 0;
  for (const group of groups) {
    const session = await createSession(instrument(model, group), { threads: plan.threads });
    const fetches = group.filter((n) => session.outputNames.includes(n));
    type Batch = { start: number; count: number; result: Record<string, ort.Tensor> };
    const launch = async (start: number): Promise<Batch> => {
      const count = Math.min(batchSize, first + plan.samples - start);
      const per = input.sampleDims.reduce((a, b) => a * b, 1);
      const data = new Float32Array(per * count);
      for (let i = 0; i < count; i++) await plan.generator.sample(start + i, data.subarray(i * per, (i + 1) * per));
      const result = await run(session, { [input.name]: new ort.Tensor('float32', data, [count, ...input.sampleDims]) }, fetches);
      return { start, count, result };
    };
    let pending: Promise<Batch> | null = launch(first);
    while (pending) {
      const { start, count, result }: Batch = await pending;
      const next: number = start + count;
      pending = next < first + plan.samples ? launch(next) : null;
      for (let i = 0; i < count; i++) {
        const sample = new Map<string, ObservedTensor>();
        for (const name of fetches) {
          const t = result[name];
          if (t.type !== 'float32') continue;
          const dims = t.dims as number[];
          const per = dims[0] === count ? (t.data as Float32Array).length / count : 0;
          sample.set(name, per ? { data: (t.data as Float32Array).subarray(i * per, (i + 1) * per), dims: [1, ...dims.slice(1)] } : { data: t.data as Float32Array, dims });
        }
        await visit(sample, start + i);
      }
      done += count;
      plan.onProgress?.(done, total);
    }
    await session.release();
  }
}

/** A copy of the model whose graph outputs include the watched tensors. */
export function instrument(model: Model, tensors: readonly string[]): Uint8Array {
  const copy = loadModelFromBuffer(serializeModel(model));
  const g = copy.graph;
  for (const name of tensors) {
    const v = g.value(name);
    if (!v) throw new Error(`no tensor '${name}' to watch`);
    if (!g.outputs.includes(v)) {
      g.outputs.push(v);
      v.type ??= { tensor: { elemType: DataType.FLOAT, shape: null } };
    }
  }
  return serializeModel(copy);
}

/**
 * Splits the watched tensors into groups whose per-sample bytes fit the
 * budget, measured on one probe sample (exact for any op, no shape inference
 * needed).
 */
async function groupBySize(model: Model, tensors: readonly string[], plan: RunPlan, input: ModelInput, budgetPerSample: number): Promise<string[][]> {
  if (!tensors.length) return [[]];
  let sizes = tensors.map((n) => staticBytes(model, n));
  if (sizes.some((s) => s === null)) sizes = await probeSizes(model, tensors, plan, input);
  const groups: string[][] = [[]];
  let used = 0;
  tensors.forEach((n, i) => {
    const bytes = sizes[i]!;
    if (used + bytes > budgetPerSample && groups[groups.length - 1].length) {
      groups.push([]);
      used = 0;
    }
    groups[groups.length - 1].push(n);
    used += bytes;
  });
  return groups;
}

/** Bytes per sample of each tensor, measured by running one sample with all of them exposed. */
async function probeSizes(model: Model, tensors: readonly string[], plan: RunPlan, input: ModelInput): Promise<number[]> {
  const session = await createSession(instrument(model, tensors), { threads: plan.threads });
  const data = new Float32Array(input.sampleDims.reduce((a, b) => a * b, 1));
  await plan.generator.sample(plan.firstSample ?? 0, data);
  const out = await run(session, { [input.name]: new ort.Tensor('float32', data, [1, ...input.sampleDims]) }, tensors.filter((n) => session.outputNames.includes(n)));
  await session.release();
  return tensors.map((n) => (out[n] ? (out[n].data as Float32Array).byteLength : 0));
}

function staticBytes(model: Model, name: string): number | null {
  const shape = model.graph.value(name)?.shape;
  if (!shape || shape.slice(1).some((d) => typeof d !== 'number')) return null;
  return (shape.slice(1) as number[]).reduce((a, b) => a * b, 1) * 4;
}
