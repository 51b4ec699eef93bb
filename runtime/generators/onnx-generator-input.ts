// A user's generator network (latent vector -> image, e.g. an exported GAN),
// the way QuantFace made its calibration data. Latents are seeded normals,
// optionally truncated; the image is mapped from the generator's output range
// to pixels, resized, and preprocessed for the model being calibrated.

import { UserError } from '../../compiler/errors.ts';
import { loadModel } from '../../compiler/onnx/load.ts';
import { Rng } from './rng.ts';
import type { InputGenerator } from './input-generator.ts';
import { ImageInputShape, Preprocessing, resizeRgb, rgbToModelInput } from './preprocessing.ts';
import { createSession, run, ort } from '../session.ts';

export interface OnnxGeneratorOptions {
  /** Latent size; default: read from the generator's input shape. */
  latentSize?: number;
  /** Resample latent entries beyond +-truncation (the truncation trick); default: none. */
  truncation?: number;
  /** The generator's output value range, mapped to 0..255; default -1,1. */
  outputRange?: [number, number];
}

export async function onnxGenerator(file: string, seed: number | string, image: { shape: ImageInputShape; preprocessing: Preprocessing }, options: OnnxGeneratorOptions): Promise<InputGenerator> {
  const model = loadModel(file);
  const inputs = model.graph.inputs.filter((v) => !v.isInitializer);
  const notGenerator = (why: string) => new UserError(`'${file}' is not a generator network: ${why}`);
  if (inputs.length !== 1) throw notGenerator(`it has ${inputs.length} inputs; a generator takes one latent vector`);
  const latentShape = inputs[0].shape;
  if (!latentShape || !(latentShape.length === 2 || (latentShape.length === 4 && latentShape[2] === 1 && latentShape[3] === 1))) {
    throw notGenerator(`its input '${inputs[0].name}' has shape [${latentShape?.join(', ') ?? '?'}], not a latent vector [N, Z] (or [N, Z, 1, 1])`);
  }
  const declared = typeof latentShape[1] === 'number' ? latentShape[1] : undefined;
  const latentSize = options.latentSize ?? declared;
  if (!latentSize) throw notGenerator('its latent size is not fixed; give --latent-size');
  if (declared && options.latentSize && declared !== options.latentSize) throw new UserError(`--latent-size ${options.latentSize} does not match the generator's input size ${declared}`);
  const outShape = model.graph.outputs[0]?.shape;
  if (!outShape || outShape.length !== 4 || (outShape[1] !== 3 && outShape[1] !== 1)) {
    throw notGenerator(`its first output has shape [${outShape?.join(', ') ?? '?'}], not an NCHW image with 1 or 3 channels`);
  }
  const [lo, hi] = options.outputRange ?? [-1, 1];
  if (!(hi > lo)) throw new UserError(`generator output range ${lo},${hi} is empty`);
  const session = await createSession(file);
  const latentDims = latentShape.length === 2 ? [1, latentSize] : [1, latentSize, 1, 1];
  return {
    description: { kind: 'generator', file, latentSize, truncation: options.truncation ?? null, outputRange: [lo, hi], seed },
    async sample(index, out) {
      const rng = new Rng(`${seed}:generator:${index}`);
      const z = new Float32Array(latentSize);
      const t = options.truncation;
      for (let i = 0; i < latentSize; i++) {
        let v = rng.normal();
        while (t !== undefined && Math.abs(v) > t) v = rng.normal();
        z[i] = v;
      }
      const result = await run(session, { [inputs[0].name]: new ort.Tensor('float32', z, latentDims) });
      const img = result[session.outputNames[0]];
      const [, channels, h, w] = img.dims as number[];
      const data = img.data as Float32Array;
      const rgb = new Uint8ClampedArray(w * h * 3);
      for (let p = 0; p < w * h; p++) {
        for (let c = 0; c < 3; c++) {
          const v = data[(channels === 1 ? 0 : c) * w * h + p];
          rgb[3 * p + c] = ((v - lo) / (hi - lo)) * 255;
        }
      }
      rgbToModelInput(resizeRgb(rgb, w, h, image.shape.width, image.shape.height), image.shape, image.preprocessing, out);
    },
    close: () => session.release(),
  };
}
