// Writes contact sheets of synthetic faces into docs/, to eyeball the renderer:
//   node --import tsx runtime/generators/write-face-sheet.ts
// Extra sizes can be written too: `... write-face-sheet.ts 64x64 240x320`.

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

for (const size of process.argv.slice(2)) {
  const [width, height] = size.split('x').map(Number);
  const faces = Array.from({ length: 4 }, (_, k) => {
    const rng = root.fork(`size-${k}`);
    return { data: renderFace(sampleIdentity(rng.fork('identity')), sampleNuisance(rng.fork('photo')), width, height), width, height };
  });
  writeSheet(`synthetic-faces-${width}x${height}.png`, faces, 4);
}
