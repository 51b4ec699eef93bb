// Small models for calibration tests and benchmarks: a conv net with a dynamic
// or fixed batch (shapes inferred, so the runner can subsample its large
// activations), and latent -> image generator networks for generator:PATH.onnx.

import type { Model } from '../../compiler/ir/model.ts';
import type { Dim } from '../../compiler/ir/value.ts';
import { runPasses } from '../../compiler/pass-manager/pass-manager.ts';
import { inferShapesPass } from '../../passes/infer-shapes.ts';
import { GraphBuilder } from './graph-builder.ts';

export interface ConvNetOptions {
  /** 'dynamic' for a symbolic batch dimension, or a fixed batch size (default 1). */
  batch?: 'dynamic' | number;
  /** Input height and width (default 16). */
  size?: number;
  /** Channels of the hidden convolutions (default 8). */
  channels?: number;
  seed?: number;
}

/**
 * x[N, 3, S, S] -> Conv -> Relu -> Conv -> Relu -> GlobalAveragePool -> Flatten -> y[N, C]:
 * seven float activations, the convolution outputs large enough (S*S >= 256
 * for S >= 16) for the runner's subsampling. Shapes are inferred.
 */
export async function buildCalibrationConvNet(options: ConvNetOptions = {}): Promise<Model> {
  const size = options.size ?? 16;
  const channels = options.channels ?? 8;
  const b = new GraphBuilder({ opset: 13, seed: options.seed ?? 7 });
  const batch: Dim = options.batch === 'dynamic' ? 'batch' : options.batch ?? 1;
  const x = b.input('x', [batch, 3, size, size]);
  const c1 = b.op('Relu', [b.conv(x, 3, channels, 3, { name: 'conv1' })], {}, { name: 'relu1' });
  const c2 = b.op('Relu', [b.conv(c1, channels, channels, 3, { name: 'conv2' })], {}, { name: 'relu2' });
  const pooled = b.op('GlobalAveragePool', [c2], {}, { name: 'pool' });
  b.output(b.op('Flatten', [pooled], { axis: 1 }, { name: 'flatten' }), [batch, channels]);
  await runPasses(b.model, [inferShapesPass]);
  return b.model;
}

/** latent z[1, Z] -> Gemm -> Tanh -> Reshape -> image[1, 3, S, S] in [-1, 1]. */
export function buildGeneratorNet(options: { latentSize?: number; size?: number; seed?: number } = {}): Model {
  const z = options.latentSize ?? 16;
  const size = options.size ?? 8;
  const pixels = 3 * size * size;
  const b = new GraphBuilder({ opset: 13, seed: options.seed ?? 5 });
  const latent = b.input('z', [1, z]);
  const w = b.randn('fc.weight', [z, pixels], 1 / Math.sqrt(z));
  const bias = b.randn('fc.bias', [pixels], 0.1);
  const h = b.op('Gemm', [latent, w, bias], {}, { name: 'fc' });
  const t = b.op('Tanh', [h], {}, { name: 'tanh' });
  const image = b.op('Reshape', [t, b.ints('shape', [4], [1, 3, size, size])], {}, { name: 'to_image' });
  b.output(image, [1, 3, size, size]);
  return b.model;
}

/**
 * A "generator" whose image is its latent: z[1, 3*S*S] reshaped to
 * [1, 3, S, S], so the pixels show the latent values (to check truncation).
 */
export function buildLatentEchoGenerator(size = 4): Model {
  const b = new GraphBuilder({ opset: 13 });
  const latent = b.input('z', [1, 3 * size * size]);
  const image = b.op('Reshape', [latent, b.ints('shape', [4], [1, 3, size, size])], {}, { name: 'to_image' });
  b.output(image, [1, 3, size, size]);
  return b.model;
}
