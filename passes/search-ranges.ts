// search-ranges: each activation's clipping range chosen by the error it
// causes downstream, not at the tensor itself.
//
//   Before:  range(%t) = method(statistics of %t)          e.g. mse at %t
//   After:   range(%t) = the candidate (minmax, percentiles, mse, entropy,
//            narrowed mse) whose fake-quantized %t gives the smallest error at
//            the output of the next quantized layers
//
// For every quantized tensor, the ops between it and the next weighted layers
// (PRelu, Relu, pass-through ops, and those layers themselves) are cut out as
// a small model and run in onnxruntime on recorded samples of the tensor, once
// per candidate range. Where no weighted layer follows through such ops (the
// last tensors, or a residual Add with another input), the error is measured
// where the path stops: at a graph output or at the tensor itself.
// The chosen ranges go to the 'activation-ranges' artifact insert-qdq reads.

import { UserError } from '../compiler/errors.ts';
import type { Model } from '../compiler/ir/model.ts';
import type { Node } from '../compiler/ir/node.ts';
import type { Value } from '../compiler/ir/value.ts';
import { requireServices, type Pass, type PassContext } from '../compiler/pass-manager/pass.ts';
import type { ObservedTensor } from '../compiler/pass-manager/services.ts';
import type { TensorStatistics } from '../runtime/calibration/tensor-statistics.ts';
import { containerFor, paramsForRange, quantizeValue } from '../compiler/quant/scheme.ts';
import type { CalibrationCache } from '../runtime/calibration/calibration-cache.ts';
import { computeRange, QuantizationRange, RangeMethod } from '../runtime/calibration/range-methods.ts';
import { quantizationConfigOf } from './insert-qdq.ts';
import { CALIBRATION_ARTIFACT, RANGES_ARTIFACT } from './quantize/activation-ranges.ts';
import { extractSubgraph } from './quantize/extract-subgraph.ts';
import { FUSED_ACTIVATIONS, PASS_THROUGH_OPS, WEIGHTED_OPS } from './quantize/op-support.ts';
import { planQuantization } from './quantize/quantization-plan.ts';

export const SEARCH_RANGES_OPTION = 'search-ranges';
const DEFAULT_SAMPLES = 8;
/** Ops a path may cross on its way to the next weighted layer (single data input, no mixing). */
const CROSSABLE = new Set([...FUSED_ACTIVATIONS, 'PRelu', 'LeakyRelu', 'Sigmoid', 'Tanh', ...PASS_THROUGH_OPS]);

interface Candidate {
  label: string;
  range: QuantizationRange;
}

/** Where a tensor's quantization error is judged. */
interface Downstream {
  /** Ops from the tensor to the next weighted layers (cut out and run in onnxruntime). */
  nodes: Node[];
  /** Outputs of those layers (and graph outputs reached). */
  outputs: Value[];
  /** Some path stops at a mixing op (a residual Add): the error at the tensor itself counts too. */
  atTensor: boolean;
}

export const searchRangesPass: Pass = {
  name: 'search-ranges',
  description: 'choose each activation range by the error it causes at the output of the next quantized layer (onnxruntime runs on recorded samples)',
  async run(model, ctx) {
    const services = requireServices(ctx, 'search-ranges');
    const stats = (ctx.artifacts.get(CALIBRATION_ARTIFACT) as CalibrationCache | undefined)?.tensors;
    if (!stats) throw new UserError('search-ranges needs calibration statistics: run it after calibrate');
    const config = quantizationConfigOf(ctx);
    const plan = planQuantization(model, config);
    const samples = Math.min(((ctx.options.get(SEARCH_RANGES_OPTION) as { samples?: number } | undefined) ?? {}).samples ?? DEFAULT_SAMPLES, services.sampleCount());
    let ranges = ctx.artifacts.get(RANGES_ARTIFACT) as Map<string, QuantizationRange> | undefined;
    if (!ranges) ctx.artifacts.set(RANGES_ARTIFACT, (ranges = new Map()));
    const tensors = [...plan.tensors].filter(([v, t]) => !t.sameParamsAs && stats.has(v.name) && !ranges!.has(v.name));
    // Record a few tensors at a time: all at once would hold every activation of every sample.
    const GROUP = 8;
    for (let i = 0; i < tensors.length; i += GROUP) {
      const group = tensors.slice(i, i + GROUP);
      const recorded = new Map<string, ObservedTensor[]>();
      await services.observe(model, group.map(([v]) => v.name), (sample) => {
        for (const [name, t] of sample) recorded.set(name, [...(recorded.get(name) ?? []), { data: Float32Array.from(t.data), dims: t.dims }]);
      }, { maxSamples: samples });
      for (const [v, t] of group) {
        const best = await searchOne(model, ctx, v, t.bits, config.symmetricActivations, stats.get(v.name)!, recorded.get(v.name) ?? []);
        ranges.set(v.name, best.range);
        ctx.count(`chose-${best.label}`);
      }
    }
    ctx.count('tensors', tensors.length);
    return tensors.length > 0;
  },
};

async function searchOne(model: Model, ctx: PassContext, v: Value, bits: number, symmetric: boolean, stats: TensorStatistics, recorded: ObservedTensor[]): Promise<Candidate> {
  const candidates = candidatesFor(stats, bits, symmetric);
  const down = downstream(v);
  const session = down.nodes.length ? await ctx.services!.session(extractSubgraph(model, [v], down.nodes, down.outputs)) : null;
  const reference = session ? await Promise.all(recorded.map((r) => session.run({ [v.name]: r }))) : [];
  const container = containerFor(bits, symmetric, 13, false);
  let best = candidates[0];
  let bestError = Infinity;
  for (const c of candidates) {
    const p = paramsForRange(c.range.min, c.range.max, { bits, symmetric, signed: symmetric, perChannel: false }, container);
    let error = 0;
    for (let k = 0; k < recorded.length; k++) {
      const fake = recorded[k].data.map((x) => (quantizeValue(x, p.scale, p.zeroPoint, p.qmin, p.qmax) - p.zeroPoint) * p.scale);
      if (down.atTensor) error += relativeError(recorded[k].data, fake);
      if (session) {
        const out = await session.run({ [v.name]: { data: fake, dims: recorded[k].dims } });
        for (const [name, ref] of reference[k]) error += relativeError(ref.data, out.get(name)!.data);
      }
    }
    if (error < bestError) [best, bestError] = [c, error];
  }
  await session?.release();
  return best;
}

function candidatesFor(stats: TensorStatistics, bits: number, symmetric: boolean): Candidate[] {
  const at = (method: RangeMethod, percentile?: number) => computeRange(method, stats, { bits, symmetric, percentile });
  const mse = at('mse');
  return [
    { label: 'mse', range: mse },
    { label: 'minmax', range: at('minmax') },
    { label: 'percentile-99.99', range: at('percentile', 99.99) },
    { label: 'percentile-99.9', range: at('percentile', 99.9) },
    { label: 'entropy', range: at('entropy') },
    { label: 'mse-narrowed', range: { min: mse.min * 0.8, max: mse.max * 0.8 } },
  ];
}

/** The ops from `v` to the next weighted layers, crossing only single-input ops. */
function downstream(v: Value): Downstream {
  const nodes: Node[] = [];
  const outputs = new Set<Value>();
  let atTensor = false;
  const visit = (value: Value) => {
    if (value.isGraphOutput && value !== v) outputs.add(value);
    for (const c of value.consumers()) {
      const dataInputs = c.inputs.filter((x) => x && !x.isConstant);
      const single = dataInputs.length === 1 && dataInputs[0] === value && c.input(0) === value;
      if (single && WEIGHTED_OPS.has(c.opType)) {
        if (!nodes.includes(c)) nodes.push(c);
        outputs.add(c.output);
      } else if (single && CROSSABLE.has(c.opType) && c.outputs.length === 1) {
        if (!nodes.includes(c)) nodes.push(c);
        visit(c.output);
      } else if (value === v) {
        atTensor = true;
      } else {
        outputs.add(value);
      }
    }
  };
  visit(v);
  if (!v.consumers().length || v.isGraphOutput) atTensor = true;
  return { nodes, outputs: [...outputs], atTensor };
}

function relativeError(reference: Float32Array, got: Float32Array): number {
  let n = 0, s = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = reference[i] - got[i];
    n += d * d;
    s += reference[i] * reference[i];
  }
  return s ? n / s : n;
}
