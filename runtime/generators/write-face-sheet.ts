// Writes contact sheets of synthetic faces into docs/, to eyeball the renderer:
//   node --import tsx runtime/generators/write-face-sheet.ts

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rng } from './rng.ts';
import { renderFace, sampleIdentity, sampleNuisance } from './face-renderer.ts';
import { renderIdentitySet } from './face-identities.ts';
import { contactSheet, encodePng, type RgbImage } from './png.ts';

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
const SIZE = 112;

function writeSheet(file: string, images: RgbImage[], columns: number): void {
  const sheet = contactSheet(images, columns, 4);
  writeFileSync(docs + file, encodePng(sheet.data, sheet.width, sheet.height));
  console.log(`wrote docs/${file} (${sheet.width}x${sheet.height})`);
}

const root = new Rng('face-sheet');
const strangers = Array.from({ length: 16 }, (_, k) => {
  const rng = root.fork(k);
  return { data: renderFace(sampleIdentity(rng.fork('identity')), sampleNuisance(rng.fork('photo')), SIZE, SIZE), width: SIZE, height: SIZE };
});
writeSheet('synthetic-faces.png', strangers, 4);

const pairs = [...renderIdentitySet('face-sheet-identities', 2, 4, SIZE, SIZE)].map(({ image }) => ({ data: image, width: SIZE, height: SIZE }));
writeSheet('synthetic-identities.png', pairs, 4);

