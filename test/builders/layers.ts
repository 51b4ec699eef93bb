// The layers that exported CNNs are made of (Conv, BatchNormalization, PRelu,
// Gemm, ...) with random weights scaled like trained ones, for the
// architecture builders.
//
// Every output carries an estimate of its mean square, so that each
// BatchNormalization gets running statistics that really normalise its input
// (running_var = input mean square x U(0.5, 2)), as in a trained net. With
// statistics drawn blind, activations would grow or shrink geometrically over
// a hundred layers.
//
// A BatchNormalization that follows a Conv or Gemm can be folded into it (the
// form exporters emit with constant folding). The random draws are the same
// either way, so the folded and the unfolded model of one seed compute the
// same function.

import { Attribute } from '../../compiler/ir/attribute.ts';
import type { Dim, Value } from '../../compiler/ir/value.ts';
import { GraphBuilder } from './graph-builder.ts';

export type BatchSize = number | 'dynamic';

export interface Activation {
  value: Value;
  channels: number;
  /** Height and width; empty once flattened. */
  spatial: number[];
  /** Estimated E[x²] over batch, channels and positions. */
  meanSquare: number;
  /**
   * Whether the values are centred on zero, so that a ReLU halves their mean
   * square. A non-negative residual stream plus a small branch is not: a ReLU
   * keeps nearly all of it.
   */
  centred: boolean;
}

/** Range of a BatchNormalization's scale (gamma). */
export type GammaRange = readonly [number, number];

const TYPICAL_GAMMA: GammaRange = [0.5, 1.5];
/** Trained residual nets end each residual branch with a small-gamma BN, so the sum grows slowly. */
export const RESIDUAL_BRANCH_GAMMA: GammaRange = [0.1, 0.5];

export interface ConvSpec {
  conv: string;
  bn: string;
  kernel: number;
  stride?: number;
  /** Default: (kernel - 1) / 2. */
  pad?: number;
  group?: number;
  gamma?: GammaRange;
}

interface BatchNormParams {
  scale: Float32Array;
  bias: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

const EPSILON = 1e-5;

export class LayerBuilder {
  readonly graph: GraphBuilder;
  private readonly foldBatchNorm: boolean;

  constructor(options: { seed: number; foldBatchNorm: boolean }) {
    this.graph = new GraphBuilder({ opset: 17, seed: options.seed });
    this.foldBatchNorm = options.foldBatchNorm;
  }

  /** An NCHW image input; `meanSquare` describes the pixels fed to it. */
  input(name: string, batch: BatchSize, channels: number, size: number, meanSquare: number): Activation {
    const value = this.graph.input(name, [batchDim(batch), channels, size, size]);
    return { value, channels, spatial: [size, size], meanSquare, centred: true };
  }

  output(x: Activation, name: string, batch: BatchSize): Value {
    x.value.name = name;
    return this.graph.output(x.value, [batchDim(batch), x.channels, ...x.spatial]);
  }

  /** Conv without bias followed by BatchNormalization, or the two folded into one Conv. */
  convBn(x: Activation, outChannels: number, spec: ConvSpec): Activation {
    const { kernel, stride = 1, pad = (kernel - 1) >> 1, group = 1 } = spec;
    const fanIn = (x.channels / group) * kernel * kernel;
    const weight = this.normals(outChannels * fanIn, Math.sqrt(2 / fanIn));
    const convMeanSquare = 2 * x.meanSquare; // He init: fanIn * (2 / fanIn) * E[x²]
    const bn = this.drawBatchNorm(outChannels, convMeanSquare, spec.gamma ?? TYPICAL_GAMMA);
    const attrs = { kernel_shape: [kernel, kernel], pads: [pad, pad, pad, pad], strides: [stride, stride], group, dilations: [1, 1] };
    const weightDims = [outChannels, x.channels / group, kernel, kernel];
    let value: Value;
    if (this.foldBatchNorm) {
      const folded = foldBatchNorm(weight, null, bn);
      const inputs = [x.value, this.graph.floats(`${spec.conv}.weight`, weightDims, folded.weight), this.graph.floats(`${spec.conv}.bias`, [outChannels], folded.bias)];
      value = this.graph.op('Conv', inputs, attrs, { name: spec.conv });
    } else {
      const conv = this.graph.op('Conv', [x.value, this.graph.floats(`${spec.conv}.weight`, weightDims, weight)], attrs, { name: spec.conv });
      value = this.emitBatchNorm(conv, spec.bn, bn);
    }
    const spatial = x.spatial.map((s) => Math.floor((s + 2 * pad - kernel) / stride) + 1);
    return { value, channels: outChannels, spatial, meanSquare: batchNormOutputMeanSquare(bn, convMeanSquare), centred: true };
  }

  /** A BatchNormalization with nothing linear before it to fold into: it stays in both forms. */
  batchNorm(x: Activation, name: string): Activation {
    const bn = this.drawBatchNorm(x.channels, x.meanSquare, TYPICAL_GAMMA);
    return { ...x, value: this.emitBatchNorm(x.value, name, bn), meanSquare: batchNormOutputMeanSquare(bn, x.meanSquare), centred: true };
  }

  /** Gemm (weight [out, in], transB) on a flat input. */
  linear(x: Activation, name: string, outFeatures: number): Activation {
    const { weight, bias, meanSquare } = this.drawLinear(x, outFeatures, true);
    const value = this.emitGemm(x.value, name, x.channels, weight, bias);
    return { value, channels: outFeatures, spatial: [], meanSquare, centred: true };
  }

  /** Gemm followed by a BatchNormalization over its features (BatchNorm1d), or the two folded. */
  linearBn(x: Activation, outFeatures: number, spec: { linear: string; bn: string; bias: boolean; gamma?: GammaRange }): Activation {
    const { weight, bias, meanSquare } = this.drawLinear(x, outFeatures, spec.bias);
    const bn = this.drawBatchNorm(outFeatures, meanSquare, spec.gamma ?? TYPICAL_GAMMA);
    let value: Value;
    if (this.foldBatchNorm) {
      const folded = foldBatchNorm(weight, bias, bn);
      value = this.emitGemm(x.value, spec.linear, x.channels, folded.weight, folded.bias);
    } else {
      value = this.emitBatchNorm(this.emitGemm(x.value, spec.linear, x.channels, weight, bias), spec.bn, bn);
    }
    return { value, channels: outFeatures, spatial: [], meanSquare: batchNormOutputMeanSquare(bn, meanSquare), centred: true };
  }

  prelu(x: Activation, name: string): Activation {
    const slope = new Float32Array(x.channels);
    let gain = 0;
    for (let c = 0; c < x.channels; c++) {
      slope[c] = this.graph.rng.uniform(0.05, 0.3);
      gain += x.centred ? (1 + slope[c] ** 2) / 2 : 1;
    }
    const value = this.graph.op('PRelu', [x.value, this.graph.floats(`${name}.weight`, [x.channels, 1, 1], slope)], {}, { name });
    return { ...x, value, meanSquare: (x.meanSquare * gain) / x.channels, centred: false };
  }

  relu(x: Activation, name: string): Activation {
    const meanSquare = x.centred ? x.meanSquare / 2 : x.meanSquare;
    return { ...x, value: this.graph.op('Relu', [x.value], {}, { name }), meanSquare, centred: false };
  }

  add(a: Activation, b: Activation, name: string): Activation {
    const value = this.graph.op('Add', [a.value, b.value], {}, { name });
    return { ...a, value, meanSquare: a.meanSquare + b.meanSquare, centred: a.centred && b.centred };
  }

  /** 3x3, stride 2, pad 1, as in ResNet stems. */
  maxPool(x: Activation, name: string): Activation {
    const value = this.graph.op('MaxPool', [x.value], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { name });
    // The largest of nine rectified normals has about five times their mean square.
    return { ...x, value, spatial: x.spatial.map((s) => Math.floor((s - 1) / 2) + 1), meanSquare: 5 * x.meanSquare };
  }

  globalAveragePool(x: Activation, name: string): Activation {
    return { ...x, value: this.graph.op('GlobalAveragePool', [x.value], {}, { name }), spatial: [1, 1] };
  }

  flatten(x: Activation, name: string): Activation {
    const features = x.spatial.reduce((a, b) => a * b, x.channels);
    return { ...x, value: this.graph.op('Flatten', [x.value], { axis: 1 }, { name }), channels: features, spatial: [] };
  }

  private drawLinear(x: Activation, outFeatures: number, withBias: boolean) {
    const weight = this.normals(outFeatures * x.channels, Math.sqrt(2 / x.channels));
    const bias = withBias ? this.normals(outFeatures, 0.05) : null;
    return { weight, bias, meanSquare: 2 * x.meanSquare + (withBias ? 0.05 ** 2 : 0) };
  }

  private emitGemm(x: Value, name: string, inFeatures: number, weight: Float32Array, bias: Float32Array | null): Value {
    const outFeatures = weight.length / inFeatures;
    const inputs = [x, this.graph.floats(`${name}.weight`, [outFeatures, inFeatures], weight)];
    if (bias) inputs.push(this.graph.floats(`${name}.bias`, [outFeatures], bias));
    return this.graph.op('Gemm', inputs, { transB: 1 }, { name });
  }

  private drawBatchNorm(channels: number, inputMeanSquare: number, gamma: GammaRange): BatchNormParams {
    const rng = this.graph.rng;
    const p: BatchNormParams = {
      scale: new Float32Array(channels),
      bias: new Float32Array(channels),
      mean: new Float32Array(channels),
      variance: new Float32Array(channels),
    };
    for (let c = 0; c < channels; c++) {
      p.scale[c] = rng.uniform(gamma[0], gamma[1]);
      p.bias[c] = rng.normal(0, 0.1);
      p.mean[c] = rng.normal(0, 0.1 * Math.sqrt(inputMeanSquare));
      p.variance[c] = inputMeanSquare * rng.uniform(0.5, 2);
    }
    return p;
  }

  private emitBatchNorm(x: Value, name: string, p: BatchNormParams): Value {
    const c = p.scale.length;
    const g = this.graph;
    const inputs = [x, g.floats(`${name}.weight`, [c], p.scale), g.floats(`${name}.bias`, [c], p.bias), g.floats(`${name}.running_mean`, [c], p.mean), g.floats(`${name}.running_var`, [c], p.variance)];
    return g.op('BatchNormalization', inputs, { epsilon: Attribute.float('epsilon', EPSILON) }, { name });
  }

  private normals(count: number, std: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.graph.rng.normal(0, std);
    return out;
  }
}

function batchDim(batch: BatchSize): Dim {
  return batch === 'dynamic' ? 'N' : batch;
}

function batchNormOutputMeanSquare(p: BatchNormParams, inputMeanSquare: number): number {
  let sum = 0;
  for (let c = 0; c < p.scale.length; c++) sum += (p.scale[c] ** 2 * inputMeanSquare) / (p.variance[c] + EPSILON) + p.bias[c] ** 2;
  return sum / p.scale.length;
}

/** BN(W x + b) = W' x + b' for a weight laid out output-channel first (Conv, Gemm with transB). */
function foldBatchNorm(weight: Float32Array, bias: Float32Array | null, p: BatchNormParams): { weight: Float32Array; bias: Float32Array } {
  const channels = p.scale.length;
  const perChannel = weight.length / channels;
  const foldedWeight = new Float32Array(weight.length);
  const foldedBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = p.scale[c] / Math.sqrt(p.variance[c] + EPSILON);
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) foldedWeight[i] = weight[i] * s;
    foldedBias[c] = ((bias?.[c] ?? 0) - p.mean[c]) * s + p.bias[c];
  }
  return { weight: foldedWeight, bias: foldedBias };
}
