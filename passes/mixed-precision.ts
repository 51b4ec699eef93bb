// sensitivity + mixed-precision: measure, per weighted layer, what the model
// loses when only that layer (its weights and its output activation) goes to
// the low bit width, then give the low width to the layers that cost least,
// until a size budget is met or just before an accuracy floor is crossed.
//
//   Before:  every layer at the requested scheme (e.g. W6A6)
//   After:   option 'quantization'.layers gets per-layer overrides, e.g.
//            conv_0: W8A8, conv_1..conv_47: W6A6, conv_48..49: W8A8
//
// Sensitivity = drop in output SQNR (dB) relative to the all-high model, on
// the evaluation stream (held-out synthetic inputs). Mixed precision sorts
// layers by drop per byte saved, then: with a size budget, lowers layers in
// that order until params x bits / 8 fits; with a minimum cosine, finds by
// bisection the most layers that can be lowered (in that order) while the
// measured cosine stays above the floor. Each candidate is measured, not
// predicted: drops do not add up exactly.

import { UserError } from '../compiler/errors.ts';
import type { Model } from '../compiler/ir/model.ts';
import { requireServices, type Pass, type PassContext } from '../compiler/pass-manager/pass.ts';
import { LAYER_OVERRIDES_ARTIFACT, quantizationConfigOf } from './insert-qdq.ts';
import { agreementOf, outputsOf, referenceOutputs } from './quantize/model-agreement.ts';
import type { LayerOverride, QuantizationConfig } from './quantize/quantization-config.ts';
import { planQuantization } from './quantize/quantization-plan.ts';
import { quantizedClone } from './quantize/quantized-clone.ts';

export const MIXED_PRECISION_OPTION = 'mixed-precision';
export const SENSITIVITY_ARTIFACT = 'sensitivity';
export const MIXED_PRECISION_ARTIFACT = 'mixed-precision';

export interface MixedPrecisionOptions {
  /** Largest params x bits / 8 of the weighted layers, in bytes. */
  sizeBudgetBytes?: number;
  /** Smallest mean output cosine to the float model on the evaluation stream. */
  minCosine?: number;
  /** The width layers keep when not lowered (default 8). */
  highWeightBits?: number;
  highActBits?: number;
  /** Evaluation samples per measurement (default 16). */
  samples?: number;
}

export interface LayerSensitivity {
  node: string;
  parameters: number;
  /** Output SQNR drop (dB) when only this layer is low. */
  sqnrDropDb: number;
  cosine: number;
}

export interface MixedPrecisionChoice {
  layers: { node: string; weightBits: number; actBits: number }[];
  sizeBytes: number;
  cosine: number;
  sqnrDb: number;
  measurements: number;
}

function layersOf(model: Model, config: QuantizationConfig): { node: string; parameters: number }[] {
  const plan = planQuantization(model, config);
  return [...plan.nodes].filter(([, p]) => p.role === 'weighted').map(([n]) => ({ node: n.name, parameters: n.input(1)!.constValue!.size }));
}

function settingsOf(ctx: PassContext): Required<Pick<MixedPrecisionOptions, 'highWeightBits' | 'highActBits' | 'samples'>> & MixedPrecisionOptions {
  const o = (ctx.options.get(MIXED_PRECISION_OPTION) as MixedPrecisionOptions | undefined) ?? {};
  return { highWeightBits: 8, highActBits: 8, samples: 16, ...o };
}

/** Per-layer bits: weighted layers high unless lowered. Other ops keep the base widths. */
function overrides(all: string[], low: Set<string>, base: QuantizationConfig, s: { highWeightBits: number; highActBits: number }): LayerOverride[] {
  return all.map((node) => (low.has(node) ? { match: node, weightBits: base.weightBits, actBits: base.actBits } : { match: node, weightBits: s.highWeightBits, actBits: s.highActBits }));
}

/** Measures a configuration: every layer high except `low`. */
async function measure(model: Model, ctx: PassContext, base: QuantizationConfig, low: Set<string>, reference: Float32Array[]) {
  const s = settingsOf(ctx);
  const clone = quantizedClone(model, ctx, { layers: [...base.layers, ...overrides(layersOf(model, base).map((l) => l.node), low, base, s)] });
  return agreementOf(reference, await outputsOf(clone, ctx, reference.length));
}

export const sensitivityPass: Pass = {
  name: 'sensitivity',
  description: 'per weighted layer, the output SQNR drop when only that layer goes to the low bit width (held-out synthetic inputs)',
  async run(model, ctx) {
    const services = requireServices(ctx, 'sensitivity');
    const base = quantizationConfigOf(ctx);
    const s = settingsOf(ctx);
    const reference = await referenceOutputs(model, ctx, Math.min(s.samples, services.sampleCount('evaluation')));
    const allHigh = await measure(model, ctx, base, new Set(), reference);
    const table: LayerSensitivity[] = [];
    for (const layer of layersOf(model, base)) {
      const a = await measure(model, ctx, base, new Set([layer.node]), reference);
      table.push({ ...layer, sqnrDropDb: allHigh.sqnrDb - a.sqnrDb, cosine: a.cosine });
    }
    ctx.artifacts.set(SENSITIVITY_ARTIFACT, { allHigh, layers: table });
    const worst = [...table].sort((a, b) => b.sqnrDropDb - a.sqnrDropDb).slice(0, 6);
    ctx.logger.info(`sensitivity: all at W${s.highWeightBits}A${s.highActBits}: SQNR ${allHigh.sqnrDb.toFixed(1)} dB; most sensitive at W${base.weightBits}A${base.actBits}: ${worst.map((l) => `${l.node} -${l.sqnrDropDb.toFixed(2)} dB`).join(', ')}`);
    ctx.count('layers', table.length);
    return false;
  },
};

export const mixedPrecisionPass: Pass = {
  name: 'mixed-precision',
  description: 'choose per-layer bit widths from the sensitivity table to meet --size-budget or --min-cosine at the smallest size',
  async run(model, ctx) {
    const s = settingsOf(ctx);
    if (s.sizeBudgetBytes === undefined && s.minCosine === undefined) throw new UserError('mixed precision needs --size-budget or --min-cosine');
    if (!ctx.artifacts.has(SENSITIVITY_ARTIFACT)) await sensitivityPass.run(model, ctx);
    const base = quantizationConfigOf(ctx);
    const { layers } = ctx.artifacts.get(SENSITIVITY_ARTIFACT) as { layers: LayerSensitivity[] };
    // Cheapest first: least SQNR lost per byte saved (layers that lose nothing go first).
    const order = [...layers].sort((a, b) => a.sqnrDropDb / Math.max(1, a.parameters) - b.sqnrDropDb / Math.max(1, b.parameters));
    const sizeOf = (low: number) => order.reduce((sum, l, i) => sum + (l.parameters * (i < low ? base.weightBits : s.highWeightBits)) / 8, 0);
    const reference = await referenceOutputs(model, ctx, Math.min(s.samples, ctx.services!.sampleCount('evaluation')));
    let measurements = 0;
    const measured = new Map<number, Awaited<ReturnType<typeof measure>>>();
    const at = async (k: number) => {
      if (!measured.has(k)) {
        measured.set(k, await measure(model, ctx, base, new Set(order.slice(0, k).map((l) => l.node)), reference));
        measurements++;
      }
      return measured.get(k)!;
    };
    let k = 0;
    if (s.sizeBudgetBytes !== undefined) {
      while (k < order.length && sizeOf(k) > s.sizeBudgetBytes) k++;
      if (sizeOf(k) > s.sizeBudgetBytes) {
        throw new UserError(`size budget ${(s.sizeBudgetBytes / 1e6).toFixed(3)} MB cannot be met: with every layer at ${base.weightBits} bits the weights take ${(sizeOf(order.length) / 1e6).toFixed(3)} MB`);
      }
    }
    if (s.minCosine !== undefined) {
      // The most layers lowered (at least k for the budget) that keep the floor.
      if ((await at(k)).cosine < s.minCosine) {
        if (s.sizeBudgetBytes !== undefined) ctx.logger.warn(`mixed-precision: the size budget forces a cosine of ${(await at(k)).cosine.toFixed(4)}, below --min-cosine ${s.minCosine}`);
        else k = 0;
      } else {
        let lo = k, hi = order.length;
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          if ((await at(mid)).cosine >= s.minCosine) lo = mid;
          else hi = mid - 1;
        }
        k = lo;
      }
    }
    const final = await at(k);
    const low = new Set(order.slice(0, k).map((l) => l.node));
    const choice: MixedPrecisionChoice = {
      layers: layers.map((l) => ({ node: l.node, weightBits: low.has(l.node) ? base.weightBits : s.highWeightBits, actBits: low.has(l.node) ? base.actBits : s.highActBits })),
      sizeBytes: sizeOf(k),
      cosine: final.cosine,
      sqnrDb: final.sqnrDb,
      measurements,
    };
    ctx.artifacts.set(MIXED_PRECISION_ARTIFACT, choice);
    ctx.artifacts.set(LAYER_OVERRIDES_ARTIFACT, overrides(layers.map((l) => l.node), low, base, s));
    ctx.logger.info(`mixed-precision: ${k} of ${layers.length} layers at W${base.weightBits}A${base.actBits}, the rest at W${s.highWeightBits}A${s.highActBits}: weights ${(choice.sizeBytes / 1e6).toFixed(3)} MB, held-out cosine ${final.cosine.toFixed(4)} (${measurements} measurements)`);
    ctx.count('low-layers', k);
    ctx.count('high-layers', layers.length - k);
    return true;
  },
};
