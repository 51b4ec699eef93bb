// Noise inputs, the baseline QuantFace compares synthetic faces against.
// gaussian: N(0, 1) per element in the model's input space (whatever the
// preprocessing); uniform: pixels U(0, 255) pushed through the preprocessing
// (or U(-1, 1) per element for non-image inputs).

import { Rng } from './rng.ts';
import type { InputGenerator } from './input-generator.ts';
import type { ImageInputShape, Preprocessing } from './preprocessing.ts';
import { rgbToModelInput } from './preprocessing.ts';

export function gaussianGenerator(seed: number | string): InputGenerator {
  return {
    description: { kind: 'gaussian', seed, distribution: 'N(0,1) per input element' },
    sample(index, out) {
      const rng = new Rng(`${seed}:gaussian:${index}`);
      for (let i = 0; i < out.length; i++) out[i] = rng.normal();
    },
  };
}

export function uniformGenerator(seed: number | string, image?: { shape: ImageInputShape; preprocessing: Preprocessing }): InputGenerator {
  return {
    description: { kind: 'uniform', seed, distribution: image ? 'pixels U(0,255), preprocessed' : 'U(-1,1) per input element' },
    sample(index, out) {
      const rng = new Rng(`${seed}:uniform:${index}`);
      if (!image) {
        for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-1, 1);
        return;
      }
      const rgb = new Uint8ClampedArray(image.shape.width * image.shape.height * 3);
      for (let i = 0; i < rgb.length; i++) rgb[i] = rng.int(256);
      rgbToModelInput(rgb, image.shape, image.preprocessing, out);
    },
  };
}
