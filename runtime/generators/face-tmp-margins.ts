import { Rng } from './rng.ts';
import { renderIdentitySet } from './face-identities.ts';
import { ARCFACE_LANDMARKS_112, neutralNuisance, renderFace, sampleIdentity } from './face-renderer.ts';
const mad = (a: Uint8ClampedArray, b: Uint8ClampedArray) => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]); return s / a.length; };
for (const seed of ['similarity', 'x1', 'x2', 'x3']) {
  const images = [...renderIdentitySet(seed, 20, 2, 112, 112)].map((r) => r.image);
  let same = 0, diff = 0;
  for (let i = 0; i < 20; i++) { same += mad(images[2 * i], images[2 * i + 1]); diff += mad(images[2 * i], images[2 * ((i + 1) % 20) + 1]); }
  console.log(seed, 'same', (same / 20).toFixed(1), 'different', (diff / 20).toFixed(1));
}
let worst = 0;
for (let k = 0; k < 200; k++) {
  const id = sampleIdentity(new Rng('lm').fork(k));
  const image = renderFace(id, neutralNuisance(), 112, 112);
  const luma = (x: number, y: number) => { const i = (y * 112 + x) * 3; return 0.299 * image[i] + 0.587 * image[i + 1] + 0.114 * image[i + 2]; };
  for (const [ex, ey] of ARCFACE_LANDMARKS_112.slice(0, 2)) {
    let best = Infinity, bx = 0, by = 0;
    for (let y = Math.round(ey) - 6; y <= Math.round(ey) + 6; y++) for (let x = Math.round(ex) - 6; x <= Math.round(ex) + 6; x++) {
      let d = 0; for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) d += luma(x + dx, y + dy);
      if (d < best) { best = d; bx = x; by = y; }
    }
    const dist = Math.hypot(bx + 0.5 - ex, by + 0.5 - ey);
    if (dist > worst) { worst = dist; console.log('k', k, 'dist', dist.toFixed(2), id.hairStyle, id.glasses?.tintOpacity.toFixed(2), id.browHeight.toFixed(1)); }
  }
}
{
  const id = sampleIdentity(new Rng("lm").fork(104));
  console.log(JSON.stringify({ iris: id.irisColor, brow: id.browColor, bh: id.browHeight, bt: id.browThickness, arch: id.browArch, skin: id.skinTone, up: id.eyeUpperHeight, lash: id.lashThickness }));
  const image = renderFace(id, neutralNuisance(), 112, 112);
  for (let y = 40; y < 60; y++) { let row = ''; for (let x = 30; x < 48; x++) { const i = (y * 112 + x) * 3; row += String(Math.round(0.299 * image[i] + 0.587 * image[i + 1] + 0.114 * image[i + 2])).padStart(4); } console.log(y, row); }
}
