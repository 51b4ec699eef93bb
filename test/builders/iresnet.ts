// The ArcFace IResNet of QuantFace's backbones/iresnet.py (the same network as
// insightface's arcface_torch): a 112x112 face in, a 512-d embedding out, with
// initializer names as torch.onnx.export gives them.

import type { Model } from '../../compiler/ir/model.ts';
import { Activation, BatchSize, LayerBuilder, RESIDUAL_BRANCH_GAMMA } from './layers.ts';

export type IResNetDepth = 18 | 34 | 50 | 100;

/** IBasicBlocks per stage. */
export const IRESNET_LAYERS: Record<IResNetDepth, readonly number[]> = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 14, 3],
  100: [3, 13, 30, 3],
};

const STAGE_WIDTHS = [64, 128, 256, 512];

export interface IResNetOptions {
  seed?: number;
  batch?: BatchSize;
  /**
   * true (default): every BatchNormalization as PyTorch exports it. false: those
   * after a Conv or Gemm folded into it; the pre-activation ones (each block's
   * bn1, and bn2) stay, since folding them into the padded conv that follows
   * would not be exact.
   */
  withBatchNorm?: boolean;
  embedding?: number;
}

export function buildIResNet(depth: IResNetDepth, options: IResNetOptions = {}): Model {
  const batch = options.batch ?? 1;
  const layers = new LayerBuilder({ seed: options.seed ?? 1, foldBatchNorm: options.withBatchNorm === false });
  // ArcFace feeds (pixel - 127.5) / 127.5: about uniform on [-1, 1].
  let x = layers.input('input', batch, 3, 112, 1 / 3);
  x = layers.convBn(x, 64, { conv: 'conv1', bn: 'bn1', kernel: 3 });
  x = layers.prelu(x, 'prelu');
  IRESNET_LAYERS[depth].forEach((blocks, stage) => {
    for (let i = 0; i < blocks; i++) {
      x = basicBlock(layers, x, `layer${stage + 1}.${i}`, STAGE_WIDTHS[stage], i === 0 ? 2 : 1);
    }
  });
  x = layers.batchNorm(x, 'bn2');
  // Dropout is the identity at inference; PyTorch exports nothing for it.
  x = layers.flatten(x, 'flatten');
  // iresnet.py fixes the weight of the final BatchNorm1d ('features') at 1.
  x = layers.linearBn(x, options.embedding ?? 512, { linear: 'fc', bn: 'features', bias: true, gamma: [1, 1] });
  layers.output(x, 'embedding', batch);
  return layers.graph.model;
}

/** IBasicBlock: BN, conv3x3, BN, PReLU, conv3x3 (carrying the stride), BN, plus the shortcut. */
function basicBlock(layers: LayerBuilder, x: Activation, name: string, planes: number, stride: number): Activation {
  let y = layers.batchNorm(x, `${name}.bn1`);
  y = layers.convBn(y, planes, { conv: `${name}.conv1`, bn: `${name}.bn2`, kernel: 3 });
  y = layers.prelu(y, `${name}.prelu`);
  y = layers.convBn(y, planes, { conv: `${name}.conv2`, bn: `${name}.bn3`, kernel: 3, stride, gamma: RESIDUAL_BRANCH_GAMMA });
  const shortcut = stride !== 1 || x.channels !== planes
    ? layers.convBn(x, planes, { conv: `${name}.downsample.0`, bn: `${name}.downsample.1`, kernel: 1, stride, pad: 0 })
    : x;
  return layers.add(y, shortcut, `${name}.add`);
}
