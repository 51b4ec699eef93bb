// Sets of synthetic people, each photographed several times: the same
// identity re-rendered with fresh pose, lighting, expression and background.
// Every identity and every photo draws from its own fork of the seed, so
// identity i looks the same whether 1 or 50 photos of it are asked for.

import { Rng } from './rng.ts';
import { renderFace, sampleIdentity, sampleNuisance } from './face-renderer.ts';

export interface IdentityImage {
  identity: number;
  image: Uint8ClampedArray;
}

export function* renderIdentitySet(
  seed: number | string,
  identities: number,
  imagesPerIdentity: number,
  width: number,
  height: number,
): Generator<IdentityImage> {
  const root = new Rng(seed);
  for (let identity = 0; identity < identities; identity++) {
    const person = root.fork(`identity-${identity}`);
    const traits = sampleIdentity(person.fork('traits'));
    for (let photo = 0; photo < imagesPerIdentity; photo++) {
      const nuisance = sampleNuisance(person.fork(`photo-${photo}`));
      yield { identity, image: renderFace(traits, nuisance, width, height) };
    }
  }
}
