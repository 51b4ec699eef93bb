// Procedural faces on the ArcFace template as model inputs: QuantFace's point
// is that synthetic faces calibrate a face model as well as real photos do.

import { Rng } from './rng.ts';
import { renderFace, sampleIdentity, sampleNuisance } from './face-renderer.ts';
import type { InputGenerator } from './input-generator.ts';
import { ImageInputShape, Preprocessing, rgbToModelInput } from './preprocessing.ts';

/** The identity and photo of sample `index`: every sample is a new person. */
export function renderFaceSample(seed: number | string, index: number, width: number, height: number): Uint8ClampedArray {
  const rng = new Rng(`${seed}:faces:${index}`);
  return renderFace(sampleIdentity(rng.fork('identity')), sampleNuisance(rng.fork('photo')), width, height);
}

export function facesGenerator(seed: number | string, image: { shape: ImageInputShape; preprocessing: Preprocessing }): InputGenerator {
  return {
    description: { kind: 'faces', seed, template: 'arcface-112', width: image.shape.width, height: image.shape.height, preprocessing: image.preprocessing },
    sample(index, out) {
      rgbToModelInput(renderFaceSample(seed, index, image.shape.width, image.shape.height), image.shape, image.preprocessing, out);
    },
  };
}
