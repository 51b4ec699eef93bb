// The MobileFaceNet of QuantFace's backbones/mobilefacenet.py (insightface's
// variant: expansion to fixed group widths 128/256/512 instead of the paper's
// factor 2 or 4) with the GDC head: a 112x112 face in, a 128-d embedding out
// (the repo's default and what its config trains), with initializer names as
// torch.onnx.export gives them.

import type { Model } from '../../compiler/ir/model.ts';
import { Activation, BatchSize, GammaRange, LayerBuilder, RESIDUAL_BRANCH_GAMMA } from './layers.ts';

export interface MobileFaceNetOptions {
  seed?: number;
  batch?: BatchSize;
  /** true (default): BatchNormalization nodes as PyTorch exports them; false: each folded into the Conv or Gemm before it. */
  withBatchNorm?: boolean;
  embedding?: number;
}

export function buildMobileFaceNet(options: MobileFaceNetOptions = {}): Model {
  const batch = options.batch ?? 1;
  const layers = new LayerBuilder({ seed: options.seed ?? 1, foldBatchNorm: options.withBatchNorm === false });
  // Faces are fed as (pixel - 127.5) / 128: about uniform on [-1, 1].
  let x = layers.input('input', batch, 3, 112, 1 / 3);
  x = convBlock(layers, x, 'conv1', 64, { kernel: 3, stride: 2 });
  x = convBlock(layers, x, 'conv2_dw', 64, { kernel: 3, group: 64 });
  x = depthWise(layers, x, 'conv_23', 64, 128, 2);
  x = residual(layers, x, 'conv_3', 4, 128);
  x = depthWise(layers, x, 'conv_34', 128, 256, 2);
  x = residual(layers, x, 'conv_4', 6, 256);
  x = depthWise(layers, x, 'conv_45', 128, 512, 2);
  x = residual(layers, x, 'conv_5', 2, 256);
  x = convBlock(layers, x, 'conv_6_sep', 512, { kernel: 1 });
  // GDC: a 7x7 depthwise conv over the whole map, then a linear layer without bias.
  x = layers.convBn(x, 512, { conv: 'output_layer.conv_6_dw.conv', bn: 'output_layer.conv_6_dw.bn', kernel: 7, pad: 0, group: 512 });
  x = layers.flatten(x, 'output_layer.conv_6_flatten');
  x = layers.linearBn(x, options.embedding ?? 128, { linear: 'output_layer.linear', bn: 'output_layer.bn', bias: false });
  layers.output(x, 'embedding', batch);
  return layers.graph.model;
}

/** Conv_block: Conv, BN, PReLU. */
function convBlock(layers: LayerBuilder, x: Activation, name: string, outChannels: number, conv: { kernel: number; stride?: number; group?: number }): Activation {
  const y = layers.convBn(x, outChannels, { conv: `${name}.conv`, bn: `${name}.bn`, ...conv });
  return layers.prelu(y, `${name}.prelu`);
}

/** Depth_Wise: 1x1 expansion to `groups` channels, 3x3 depthwise (carrying the stride), linear 1x1 projection. */
function depthWise(layers: LayerBuilder, x: Activation, name: string, outChannels: number, groups: number, stride: number, projectGamma?: GammaRange): Activation {
  let y = convBlock(layers, x, `${name}.conv`, groups, { kernel: 1 });
  y = convBlock(layers, y, `${name}.conv_dw`, groups, { kernel: 3, stride, group: groups });
  return layers.convBn(y, outChannels, { conv: `${name}.project.conv`, bn: `${name}.project.bn`, kernel: 1, gamma: projectGamma });
}

/** Residual: `blocks` stride-1 Depth_Wise blocks, each added to its input. */
function residual(layers: LayerBuilder, x: Activation, name: string, blocks: number, groups: number): Activation {
  for (let i = 0; i < blocks; i++) {
    const block = `${name}.model.${i}`;
    x = layers.add(depthWise(layers, x, block, x.channels, groups, 1, RESIDUAL_BRANCH_GAMMA), x, `${block}.add`);
  }
  return x;
}
