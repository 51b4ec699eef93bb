// round-weights: GPTQ/OBQ-style rounding (Frantar et al. 2022). Instead of
// rounding each weight to the nearest code, quantize the columns of each layer
// in order and spread every column's rounding error over the columns not yet
// quantized, weighted by H = X X^T of the inputs the layer really sees.
//
//   Before:  insert-qdq would store round(W / s)
//   After:   artifact 'weight-codes' holds GPTQ's codes for W (same grid s),
//            which insert-qdq stores instead
//
// X comes from the model quantized with every earlier layer's chosen codes
// (so a layer compensates the error upstream layers leave it), layer by layer
// in stages of layers that do not feed one another. Conv inputs are unfolded
// to patches (one Hessian per group; depthwise convs get kH*kW-wide ones),
// subsampled so a layer keeps about SAMPLES_PER_COLUMN patches per column.
// Float weights stay as they are: the codes travel in the artifact.

import type { Model } from '../compiler/ir/model.ts';
import type { Node } from '../compiler/ir/node.ts';
import { requireServices, type Pass } from '../compiler/pass-manager/pass.ts';
import { gptqQuantize } from '../compiler/quant/gptq.ts';
import { HessianAccumulator } from '../compiler/quant/hessian-accumulator.ts';
import { convPatches } from '../compiler/quant/hessian-im2col.ts';
import { quantizeWeight } from '../compiler/quant/scheme.ts';
import { ChosenWeightCodes, quantizationConfigOf, WEIGHT_CODES_ARTIFACT, weightLayout } from './insert-qdq.ts';
import { independentStages } from './bias-correct.ts';
import { planQuantization } from './quantize/quantization-plan.ts';
import { quantizedClone } from './quantize/quantized-clone.ts';

export const ROUND_WEIGHTS_OPTION = 'round-weights';
const DEFAULT_SAMPLES = 32;
const SAMPLES_PER_COLUMN = 64;
/**
 * Inputs per output channel above which a layer keeps round-to-nearest: the
 * Hessian takes cols^2 x 8 bytes (and GPTQ a few copies of it), the
 * factorisation cols^3 operations. 6144 columns = 300 MB per Hessian, about 20 s;
 * an IResNet's 25088-input FC layer would need 5 GB per copy and hours.
 */
const MAX_COLUMNS = 6144;

interface LayerJob {
  node: Node;
  groups: number;
  /** Columns per group: the inputs one output channel reads. */
  cols: number;
  accumulators: HessianAccumulator[];
  positionStride: number;
}

export const roundWeightsPass: Pass = {
  name: 'round-weights',
  description: 'GPTQ: choose weight codes that minimise each layer\'s output error on the quantized inputs it sees (Hessian-weighted error feedback)',
  async run(model, ctx) {
    const services = requireServices(ctx, 'round-weights');
    const settings = (ctx.options.get(ROUND_WEIGHTS_OPTION) as { samples?: number; actOrder?: boolean } | undefined) ?? {};
    const samples = Math.min(settings.samples ?? DEFAULT_SAMPLES, services.sampleCount());
    const config = quantizationConfigOf(ctx);
    const plan = planQuantization(model, config);
    const layers = [...plan.nodes].filter(([n, p]) => p.role === 'weighted' && supported(n) && job(n).cols <= MAX_COLUMNS).map(([n]) => n);
    for (const [n, p] of plan.nodes) {
      if (p.role !== 'weighted') continue;
      if (!supported(n)) ctx.decline(`${n.opType} is rounded to nearest (GPTQ here covers Conv, Gemm and 2-D MatMul)`, { node: n });
      else if (job(n).cols > MAX_COLUMNS) ctx.decline(`${job(n).cols} inputs per output: over ${MAX_COLUMNS}, the Hessian would not fit the memory bound; rounded to nearest`, { node: n });
    }
    if (!layers.length) return false;
    let codes = ctx.artifacts.get(WEIGHT_CODES_ARTIFACT) as Map<string, ChosenWeightCodes> | undefined;
    if (!codes) ctx.artifacts.set(WEIGHT_CODES_ARTIFACT, (codes = new Map()));
    let improved = 0;
    for (const stage of independentStages(layers)) {
      const quantized = quantizedClone(model, ctx);
      const jobs = stage.map((n) => job(n));
      // The layer's input in the quantized clone: the dequantized tensor it reads.
      const cloneNodes = new Map(quantized.graph.nodes.toArray().map((m) => [m.name, m]));
      const readers = new Map<string, LayerJob[]>();
      for (const j of jobs) {
        const tensor = cloneNodes.get(j.node.name)!.input(0)!.name;
        readers.set(tensor, [...(readers.get(tensor) ?? []), j]);
      }
      await services.observe(quantized, [...readers.keys()], (sample, index) => {
        for (const [tensor, t] of sample) for (const j of readers.get(tensor)!) accumulate(j, t.data, t.dims, index);
      }, { maxSamples: samples });
      for (const j of jobs) {
        const settingsOf = plan.nodes.get(j.node)!.settings;
        const chosen = roundLayer(model, j, settingsOf.weightBits, settingsOf.perChannel, config, !!settings.actOrder);
        codes.set(j.node.input(1)!.name, chosen.codes);
        if (chosen.gain < 1) improved++;
        ctx.count('hessian-samples', j.accumulators.reduce((s, a) => s + a.count, 0));
      }
    }
    ctx.count('layers', layers.length);
    ctx.count('improved', improved);
    return true;
  },
};

function supported(n: Node): boolean {
  const w = n.input(1)?.constValue;
  if (!w) return false;
  if (n.opType === 'Conv') return w.dims.length === 4 && n.getString('auto_pad', 'NOTSET') === 'NOTSET';
  if (n.opType === 'Gemm') return w.dims.length === 2 && n.getInt('transA', 0) === 0;
  if (n.opType === 'MatMul') return w.dims.length === 2;
  return false;
}

function job(node: Node): LayerJob {
  const w = node.input(1)!.constValue!;
  const isConv = node.opType === 'Conv';
  const groups = isConv ? node.getInt('group', 1) : 1;
  const cols = isConv ? w.dims[1] * w.dims[2] * w.dims[3] : node.opType === 'Gemm' && node.getInt('transB', 0) ? w.dims[1] : w.dims[0];
  return { node, groups, cols, accumulators: Array.from({ length: groups }, () => new HessianAccumulator(cols)), positionStride: 0 };
}

function accumulate(j: LayerJob, data: Float32Array, dims: number[], sample: number): void {
  if (j.node.opType !== 'Conv') {
    j.accumulators[0].addBatch(data);
    return;
  }
  const n = j.node;
  const kernel = n.input(1)!.constValue!.dims.slice(2) as [number, number];
  const strides = (n.getInts('strides') ?? [1, 1]) as [number, number];
  const pads = n.getInts('pads') ?? [0, 0, 0, 0];
  const dilations = (n.getInts('dilations') ?? [1, 1]) as [number, number];
  if (!j.positionStride) {
    // Enough patches per image that the samples add up to SAMPLES_PER_COLUMN per column.
    const outH = Math.floor((dims[2] + pads[0] + pads[2] - ((kernel[0] - 1) * dilations[0] + 1)) / strides[0]) + 1;
    const outW = Math.floor((dims[3] + pads[1] + pads[3] - ((kernel[1] - 1) * dilations[1] + 1)) / strides[1]) + 1;
    const wanted = (SAMPLES_PER_COLUMN * j.cols) / DEFAULT_SAMPLES;
    j.positionStride = Math.max(1, Math.floor((outH * outW) / Math.max(1, wanted)));
  }
  const patches = convPatches(data, dims as [number, number, number, number], {
    kernelShape: kernel, strides, pads: [pads[0], pads[1], pads[2], pads[3]], dilations, group: j.groups,
  }, { positionStride: j.positionStride, seed: `${n.name}:${sample}` });
  patches.perGroup.forEach((p, g) => j.accumulators[g].addBatch(p));
}

/** GPTQ per group on the grid round-to-nearest would use; returns the codes and error ratio vs nearest. */
function roundLayer(model: Model, j: LayerJob, bits: number, perChannel: boolean, config: ReturnType<typeof quantizationConfigOf>, actOrder: boolean): { codes: ChosenWeightCodes; gain: number } {
  const node = j.node;
  const t = node.input(1)!.constValue!;
  const layout = weightLayout(model, node, bits, perChannel, config);
  const nearest = quantizeWeight(t.toFloat32(), t.dims, layout.axis, layout.scheme, layout.container);
  const { scale, zeroPoint, qmin, qmax } = nearest.params;
  const values = t.toFloat32();
  // Rows are output channels, columns their inputs: transposed for Gemm (transB=0) and MatMul.
  const transposed = node.opType !== 'Conv' && !(node.opType === 'Gemm' && node.getInt('transB', 0));
  const rows = node.opType === 'Conv' ? t.dims[0] : transposed ? t.dims[1] : t.dims[0];
  const at = (r: number, c: number) => (transposed ? c * rows + r : r * j.cols + c);
  const codes = Int32Array.from(nearest.codes);
  const perGroupRows = rows / j.groups;
  let gptqError = 0, nearestError = 0;
  for (let g = 0; g < j.groups; g++) {
    const acc = j.accumulators[g];
    if (acc.count === 0) continue;
    const w = new Float64Array(perGroupRows * j.cols);
    const rowScale = new Float64Array(perGroupRows), rowZero = new Float64Array(perGroupRows);
    for (let r = 0; r < perGroupRows; r++) {
      const row = g * perGroupRows + r;
      for (let c = 0; c < j.cols; c++) w[r * j.cols + c] = values[at(row, c)];
      rowScale[r] = scale.length > 1 ? scale[row] : scale[0];
      rowZero[r] = zeroPoint.length > 1 ? zeroPoint[row] : zeroPoint[0];
    }
    const result = gptqQuantize(w, acc.hessian({ average: true }), { scale: rowScale, zeroPoint: rowZero, qmin, qmax }, { actOrder });
    for (let r = 0; r < perGroupRows; r++) {
      for (let c = 0; c < j.cols; c++) codes[at(g * perGroupRows + r, c)] = result.codes[r * j.cols + c];
    }
    gptqError += result.stats.hessianError;
    nearestError += nearestHessianError(w, acc.hessian({ average: true }), rowScale, rowZero, qmin, qmax, j.cols);
  }
  return { codes: { codes, params: nearest.params, axis: layout.axis, bits: layout.stored }, gain: nearestError > 0 ? gptqError / nearestError : 1 };
}

/** tr(dW H dW^T) of round-to-nearest, the figure GPTQ's own error is compared with. */
function nearestHessianError(w: Float64Array, h: Float64Array, scale: Float64Array, zero: Float64Array, qmin: number, qmax: number, cols: number): number {
  const rows = w.length / cols;
  let total = 0;
  const d = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = w[r * cols + c];
      const q = Math.min(qmax, Math.max(qmin, Math.round(v / scale[r]) + zero[r]));
      d[c] = v - (q - zero[r]) * scale[r];
    }
    for (let a = 0; a < cols; a++) {
      if (d[a] === 0) continue;
      let s = 0;
      for (let b = 0; b < cols; b++) s += h[a * cols + b] * d[b];
      total += d[a] * s;
    }
  }
  return total;
}


