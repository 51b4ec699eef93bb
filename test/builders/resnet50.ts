// torchvision's ResNet-50 (v1.5: the stride sits on the bottleneck's 3x3
// conv), with initializer names as torch.onnx.export gives them.

import type { Model } from '../../compiler/ir/model.ts';
import { Activation, BatchSize, LayerBuilder, RESIDUAL_BRANCH_GAMMA } from './layers.ts';

const BLOCKS_PER_STAGE = [3, 4, 6, 3];
const STAGE_WIDTHS = [64, 128, 256, 512];
const EXPANSION = 4;

export interface ResNet50Options {
  seed?: number;
  batch?: BatchSize;
  classes?: number;
  inputSize?: number;
  /** Fold every BatchNormalization into the Conv before it (all of them follow one). Default false. */
  foldedBatchNorm?: boolean;
}

export function buildResNet50(options: ResNet50Options = {}): Model {
  const batch = options.batch ?? 1;
  const layers = new LayerBuilder({ seed: options.seed ?? 1, foldBatchNorm: options.foldedBatchNorm ?? false });
  // ImageNet-normalised pixels have about unit variance.
  let x = layers.input('input', batch, 3, options.inputSize ?? 224, 1);
  x = layers.convBn(x, 64, { conv: 'conv1', bn: 'bn1', kernel: 7, stride: 2 });
  x = layers.relu(x, 'relu');
  x = layers.maxPool(x, 'maxpool');
  BLOCKS_PER_STAGE.forEach((blocks, stage) => {
    for (let i = 0; i < blocks; i++) {
      x = bottleneck(layers, x, `layer${stage + 1}.${i}`, STAGE_WIDTHS[stage], i === 0 && stage > 0 ? 2 : 1);
    }
  });
  x = layers.globalAveragePool(x, 'avgpool');
  x = layers.flatten(x, 'flatten');
  x = layers.linear(x, 'fc', options.classes ?? 1000);
  layers.output(x, 'logits', batch);
  return layers.graph.model;
}

/** conv1x1, conv3x3 (carrying the stride), conv1x1 to 4x the width, each with BN; ReLU after the residual sum. */
function bottleneck(layers: LayerBuilder, x: Activation, name: string, width: number, stride: number): Activation {
  let y = layers.relu(layers.convBn(x, width, { conv: `${name}.conv1`, bn: `${name}.bn1`, kernel: 1 }), `${name}.relu1`);
  y = layers.relu(layers.convBn(y, width, { conv: `${name}.conv2`, bn: `${name}.bn2`, kernel: 3, stride }), `${name}.relu2`);
  y = layers.convBn(y, width * EXPANSION, { conv: `${name}.conv3`, bn: `${name}.bn3`, kernel: 1, gamma: RESIDUAL_BRANCH_GAMMA });
  const shortcut = stride !== 1 || x.channels !== width * EXPANSION
    ? layers.convBn(x, width * EXPANSION, { conv: `${name}.downsample.0`, bn: `${name}.downsample.1`, kernel: 1, stride, pad: 0 })
    : x;
  return layers.relu(layers.add(y, shortcut, `${name}.add`), `${name}.relu3`);
}
