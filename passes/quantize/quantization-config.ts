// What the user asked the quantizer for: bit widths, granularity, symmetry,
// target, exclusions and per-layer overrides; and the per-layer settings they
// resolve to.

import type { Node } from '../../compiler/ir/node.ts';
import { UserError } from '../../compiler/errors.ts';
import { MAX_BITS, MIN_BITS } from '../../compiler/quant/scheme.ts';

/**
 * Where the model will run. On x86 without VNNI, onnxruntime's u8s8 kernels
 * multiply pairs into int16 (VPMADDUBSW) and can saturate with full 8-bit
 * weights; 7-bit weights cannot. 'x86' reduces the weight range for W8,
 * 'vnni', 'arm64' and 'wasm' keep all 8 bits.
 */
export type Target = 'x86' | 'vnni' | 'arm64' | 'wasm';
export const TARGETS: Target[] = ['x86', 'vnni', 'arm64', 'wasm'];

export interface LayerOverride {
  /** Node name, op type, or /regex/ on the node name. */
  match: string;
  weightBits?: number;
  actBits?: number;
  perChannel?: boolean;
  exclude?: boolean;
}

export interface QuantizationConfig {
  weightBits: number;
  actBits: number;
  perChannel: boolean;
  symmetricWeights: boolean;
  symmetricActivations: boolean;
  target: Target;
  /** Integer weights + DequantizeLinear only; activations stay float (for runtimes where integer activations do not pay). */
  weightOnly: boolean;
  /** The first and last weighted layer (weights and their activations) stay at 8 bits. */
  keepFirstLast8Bit: boolean;
  /** Quantize PRelu slopes with the activation bits, as QuantFace does. */
  quantizePReluSlope: boolean;
  /** Store weights of 4 bits or fewer as int4 (raises the opset to 21). */
  packInt4: boolean;
  /**
   * Quantize Conv -> PRelu as one block: no Q/DQ between them, so one rounding
   * instead of two. onnxruntime has no integer PRelu, so that Conv then runs in
   * float on dequantized inputs: more accurate, slower (fr_feature W8A8:
   * cosine 0.988 -> 0.992 on held-out faces, latency 0.14x -> 0.26x of float).
   */
  fusePRelu: boolean;
  /** Op types quantized; default: every op with an onnxruntime integer kernel or a Q/DQ-transparent op. */
  ops?: string[];
  exclude: string[];
  layers: LayerOverride[];
}

export const DEFAULT_QUANTIZATION: QuantizationConfig = {
  weightBits: 8,
  actBits: 8,
  perChannel: true,
  symmetricWeights: true,
  symmetricActivations: false,
  target: 'x86',
  weightOnly: false,
  keepFirstLast8Bit: false,
  quantizePReluSlope: false,
  packInt4: false,
  fusePRelu: false,
  exclude: [],
  layers: [],
};

/** 'w8a8', 'w6a6', 'w4a8', 'w8a16', 'w8' (weight only) -> bit widths. */
export function parseScheme(text: string): { weightBits: number; actBits: number | null } {
  const m = /^w(\d+)(?:a(\d+))?$/i.exec(text.trim());
  if (!m) throw new UserError(`scheme '${text}' does not parse: write w<bits>a<bits> (w8a8, w6a6, w4a8) or w<bits> for weights only`);
  const weightBits = Number(m[1]);
  const actBits = m[2] === undefined ? null : Number(m[2]);
  checkBits('weight', weightBits);
  if (actBits !== null) checkBits('activation', actBits);
  return { weightBits, actBits };
}

export function checkBits(what: string, bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw new UserError(`${what} bits must be an integer from ${MIN_BITS} to ${MAX_BITS}, got ${bits}`);
  }
}

export interface LayerSettings {
  quantized: boolean;
  weightBits: number;
  actBits: number;
  perChannel: boolean;
}

/** Does `pattern` (name, op type or /regex/) select this node? */
export function matchesNode(pattern: string, node: Node): boolean {
  const regex = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (regex) {
    try {
      return new RegExp(regex[1], regex[2]).test(node.name);
    } catch {
      throw new UserError(`'${pattern}' is not a valid regular expression`);
    }
  }
  return pattern === node.name || pattern === node.opType;
}

/**
 * Settings of one node: the global ones, then exclusions, then overrides in
 * order (later ones win), then the first/last-layer rule.
 */
export function layerSettings(node: Node, config: QuantizationConfig, firstOrLast: boolean): LayerSettings {
  const s: LayerSettings = { quantized: true, weightBits: config.weightBits, actBits: config.actBits, perChannel: config.perChannel };
  if (config.exclude.some((p) => matchesNode(p, node))) s.quantized = false;
  for (const o of config.layers) {
    if (!matchesNode(o.match, node)) continue;
    if (o.exclude !== undefined) s.quantized = !o.exclude;
    if (o.weightBits !== undefined) s.weightBits = o.weightBits;
    if (o.actBits !== undefined) s.actBits = o.actBits;
    if (o.perChannel !== undefined) s.perChannel = o.perChannel;
  }
  if (firstOrLast && config.keepFirstLast8Bit) {
    s.weightBits = Math.max(s.weightBits, 8);
    s.actBits = Math.max(s.actBits, 8);
  }
  return s;
}

/** Full 8-bit weights saturate u8s8 kernels on x86 without VNNI: use 7. */
export function effectiveWeightBits(bits: number, config: QuantizationConfig): number {
  return config.target === 'x86' && bits === 8 && !config.symmetricActivations ? 7 : bits;
}
