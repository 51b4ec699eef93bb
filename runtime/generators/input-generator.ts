// An input generator makes one model input sample per index, deterministically:
// sample i depends only on the seed and i, so a calibration split into shards
// (samples 0..99 here, 100..199 there) sees exactly the samples of one run.

import { UserError } from '../../compiler/errors.ts';
import type { ImageInputShape, Preprocessing } from './preprocessing.ts';
import { facesGenerator } from './faces-input.ts';
import { gaussianGenerator, uniformGenerator } from './noise-input.ts';
import { imageFolderGenerator } from './image-folder-input.ts';
import { onnxGenerator, OnnxGeneratorOptions } from './onnx-generator-input.ts';
import type { Logger } from '../../compiler/logger.ts';

export interface InputGenerator {
  /** What produced the samples, recorded in calibration caches and reports. */
  readonly description: Record<string, unknown>;
  /** Writes sample `index` into `out` (length = one sample of the model input). */
  sample(index: number, out: Float32Array): void | Promise<void>;
  /** Releases sessions or files. */
  close?(): Promise<void> | void;
}

export interface GeneratorContext {
  seed: number | string;
  /** Per-sample dims in the model's layout, without the batch dimension. */
  sampleDims: number[];
  /** For image generators: where the image goes and how it is normalised. */
  image?: { shape: ImageInputShape; preprocessing: Preprocessing };
  onnx?: OnnxGeneratorOptions;
  logger?: Logger;
}

export const GENERATOR_KINDS = ['faces', 'gaussian', 'uniform', 'generator:PATH.onnx', 'images:DIR'];

export async function createInputGenerator(spec: string, ctx: GeneratorContext): Promise<InputGenerator> {
  const [kind, ...rest] = spec.split(':');
  const arg = rest.join(':');
  const needImage = () => {
    if (!ctx.image) throw new UserError(`generator '${kind}' renders images, but the model input is not an image`);
    return ctx.image;
  };
  switch (kind) {
    case 'gaussian': return gaussianGenerator(ctx.seed);
    case 'uniform': return uniformGenerator(ctx.seed, ctx.image);
    case 'faces': return facesGenerator(ctx.seed, needImage());
    case 'images':
      if (!arg) throw new UserError("images: needs a folder, e.g. --calib images:./photos");
      return imageFolderGenerator(arg, needImage(), ctx.logger);
    case 'generator':
      if (!arg) throw new UserError('generator: needs an ONNX file, e.g. --calib generator:./stylegan.onnx');
      return onnxGenerator(arg, ctx.seed, needImage(), ctx.onnx ?? {});
    default:
      throw new UserError(`unknown input generator '${spec}'; use one of ${GENERATOR_KINDS.join(', ')}`);
  }
}
