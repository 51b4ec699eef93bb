// Running a model on generated inputs while watching any of its tensors. An
// instrumented copy exposes the watched tensors as extra graph outputs; the
// watched set is split into groups so that one batch of them fits a memory
// budget, and each group is one pass over the samples. While onnxruntime
// computes the next batch (on its own threads), the caller consumes the
// current one on the JS thread.

import { Attribute } from '../compiler/ir/attribute.ts';
import { DataType } from '../compiler/ir/data-type.ts';
import { Tensor } from '../compiler/ir/tensor.ts';
import type { Value } from '../compiler/ir/value.ts';
import { opsetUpgradeProblem, raiseOpset } from '../compiler/onnx/opset-upgrade.ts';
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
  /**
   * Hand over large activations as a 1-in-4 spatial subsample (every other row
   * and column) plus their exact min and max, computed by onnxruntime.
   * Calibration statistics need no more, and it cuts the copying and binning
   * that dominate calibration time by 4x.
   */
  subsample?: boolean;
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
    throw new UserError(`input '${v.name}' dimension ${i + 1} is not fixed (${d ?? '?'}); give its size with --input-dim NAME=SIZE`);
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
    const { bytes, exposures } = instrumentWithSummaries(model, group, !!plan.subsample);
    const session = await createSession(bytes, { threads: plan.threads });
    const watched = group.filter((n) => session.outputNames.includes(exposures.get(n)!.values));
    const fetches = watched.flatMap((n) => {
      const e = exposures.get(n)!;
      return e.min ? [e.values, e.min, e.max!] : [e.values];
    });
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
        for (const name of watched) {
          const e = exposures.get(name)!;
          const t = result[e.values];
          if (t.type !== 'float32') continue;
          const dims = t.dims as number[];
          const per = dims[0] === count ? (t.data as Float32Array).length / count : 0;
          const observed: ObservedTensor = per ? { data: (t.data as Float32Array).subarray(i * per, (i + 1) * per), dims: [1, ...dims.slice(1)] } : { data: t.data as Float32Array, dims };
          if (e.min) Object.assign(observed, { min: (result[e.min].data as Float32Array)[i], max: (result[e.max!].data as Float32Array)[i], subsampled: true });
          sample.set(name, observed);
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
  return instrumentWithSummaries(model, tensors, false).bytes;
}

/** How one watched tensor comes out of the instrumented model. */
interface Exposure {
  /** Output holding the values (the tensor itself, or its subsample). */
  values: string;
  /** Outputs holding the exact extremes, when `values` is a subsample. */
  min?: string;
  max?: string;
}

const SUBSAMPLE_MIN_PLANE = 256;

function instrumentWithSummaries(model: Model, tensors: readonly string[], subsample: boolean): { bytes: Uint8Array; exposures: Map<string, Exposure> } {
  const copy = loadModelFromBuffer(serializeModel(model));
  const g = copy.graph;
  const exposures = new Map<string, Exposure>();
  // Strided Slice needs opset 10; reading the shape needs it declared.
  const canSlice = subsample && (copy.opsetVersion() >= 13 || opsetUpgradeProblem(copy, 13) === null);
  if (canSlice) raiseOpset(copy, 13);
  let sliceParams: Value[] | null = null;
  // A tensor of unknown type is exposed without one: onnxruntime infers it
  // (declaring float would be wrong for an int shape computation).
  const expose = (v: Value) => {
    if (!g.outputs.includes(v)) g.outputs.push(v);
  };
  for (const name of tensors) {
    const v = g.value(name);
    if (!v) throw new Error(`no tensor '${name}' to watch`);
    const shape = v.shape;
    const plane = shape && shape.length >= 3 ? shape.slice(-2) : null;
    const large = plane && plane.every((d) => typeof d === 'number') && (plane[0] as number) * (plane[1] as number) >= SUBSAMPLE_MIN_PLANE;
    if (!canSlice || !large) {
      expose(v);
      exposures.set(name, { values: name });
      continue;
    }
    sliceParams ??= [
      g.addInitializer('qf_watch_starts', Tensor.int64([2], [0, 0])),
      g.addInitializer('qf_watch_ends', Tensor.int64([2], [2n ** 63n - 1n, 2n ** 63n - 1n])),
      g.addInitializer('qf_watch_axes', Tensor.int64([2], [-2, -1])),
      g.addInitializer('qf_watch_steps', Tensor.int64([2], [2, 2])),
    ];
    const sampled = g.addNode({ opType: 'Slice', inputs: [v, ...sliceParams], name: `${name}_watch_subsample` }).output;
    // Extremes per sample (reduced over every axis but the batch), so batching does not change them.
    const axes = Array.from({ length: shape!.length - 1 }, (_, k) => k + 1);
    const reduce = (op: string) => {
      if (copy.opsetVersion() >= 18) {
        const axesInput = g.value(`qf_watch_axes_rank${shape!.length}`) ?? g.addInitializer(`qf_watch_axes_rank${shape!.length}`, Tensor.int64([axes.length], axes), { exactName: true });
        return g.addNode({ opType: op, inputs: [v, axesInput], attributes: [Attribute.int('keepdims', 0)], name: `${name}_watch_${op}` }).output;
      }
      return g.addNode({ opType: op, inputs: [v], attributes: [Attribute.ints('axes', axes), Attribute.int('keepdims', 0)], name: `${name}_watch_${op}` }).output;
    };
    const min = reduce('ReduceMin');
    const max = reduce('ReduceMax');
    for (const o of [sampled, min, max]) expose(o);
    exposures.set(name, { values: sampled.name, min: min.name, max: max.name });
  }
  return { bytes: serializeModel(copy), exposures };
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
