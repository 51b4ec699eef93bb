// Scalp hair (a volume around the skull, cut by a hairline), long hair behind
// the neck, and facial hair. Strand texture is noise stretched along the
// direction hair falls: radiating from above the crown for the scalp.

import { noise } from './face-noise.ts';
import { blend, clamp01, coverage, multiply, smoothstep, softEdge, type FaceCanvas } from './face-canvas.ts';
import { headDistance, type FaceScene } from './face-scene.ts';
import type { HairStyle } from './face-traits.ts';

interface HairShape {
  /** Lowest point of the hair at the sides of the head, relative to the eyes. */
  sideBelowEyes: number;
  /** A bald crown: hair survives only at the sides and back of the head. */
  baldCrown: boolean;
  /** Long hair falls over the edges of the face by this much. */
  faceCover: number;
  /** Half-amplitude of a ragged hairline. */
  hairlineJag: number;
  /** How lumpy the outline is. */
  lumpiness: number;
  density: number;
  curly: boolean;
}

const HAIR_SHAPES: Record<HairStyle, HairShape> = {
  bald: { sideBelowEyes: 3, baldCrown: true, faceCover: 0, hairlineJag: 1, lumpiness: 1, density: 0.8, curly: false },
  buzz: { sideBelowEyes: 1, baldCrown: false, faceCover: 0, hairlineJag: 0.6, lumpiness: 0.5, density: 0.6, curly: false },
  short: { sideBelowEyes: 4, baldCrown: false, faceCover: 0, hairlineJag: 0.8, lumpiness: 2, density: 1, curly: false },
  fringe: { sideBelowEyes: 8, baldCrown: false, faceCover: 0, hairlineJag: 2.2, lumpiness: 2, density: 1, curly: false },
  long: { sideBelowEyes: -4, baldCrown: false, faceCover: 3.5, hairlineJag: 0.8, lumpiness: 2, density: 1, curly: false },
  curly: { sideBelowEyes: 6, baldCrown: false, faceCover: 0, hairlineJag: 1.5, lumpiness: 7, density: 1, curly: true },
};

export function paintBackHair(canvas: FaceCanvas, scene: FaceScene): void {
  const { head, identity } = scene;
  if (identity.hairStyle !== 'long') return;
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const [hr, hg, hb] = identity.hairColor;
  const outerHalfWidth = head.halfWidth + identity.hairVolume + 1.5;
  const outerTop = head.top + identity.hairVolume;
  const bottom = head.cy + head.bottom + 25 + identity.hairVolume * 2;
  const span = canvas.span(head.cx - outerHalfWidth - 30, head.cy - outerTop, head.cx + outerHalfWidth + 30, bottom + 3);
  const shade = 0.55 * scene.light.gain * (scene.light.ambient + scene.light.intensity * 0.5);
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const dx = u - head.cx, dv = v - head.cy;
      // Follows the scalp hair's outline above the ears, then spreads over the shoulders.
      const hx = dx / outerHalfWidth, hy = dv / outerTop;
      const edge = dv < 0
        ? (Math.sqrt(hx * hx + 0.65 * hy * hy + 0.35 * hy * hy * hy * hy) - 1) * outerHalfWidth
        : Math.abs(dx) - outerHalfWidth - dv * 0.22;
      const strands = noise(u * 1.4 + 70, v * 0.12);
      const alpha = coverage(Math.max(edge, v - bottom - 4 * strands), ppu);
      if (alpha <= 0) continue;
      const k = shade * (0.6 + 0.6 * strands);
      blend(color, (y * width + x) * 3, hr * k, hg * k, hb * k, alpha);
    }
  }
}

export function paintScalpHair(canvas: FaceCanvas, scene: FaceScene): void {
  const { head, identity, light } = scene;
  const shape = HAIR_SHAPES[identity.hairStyle];
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const [hr, hg, hb] = identity.hairColor;
  const eyeY = (scene.eyes[0].cy + scene.eyes[1].cy) / 2;
  const buzz = identity.hairStyle === 'buzz';
  const long = identity.hairStyle === 'long';
  const volume = buzz ? 0.8 : identity.hairVolume;
  // Hair is fullest on top and lies flatter towards the ears (long hair falls straight instead).
  const sideVolume = long ? 1 : shape.curly ? 0.6 : 0.3;
  const outerHalfWidth = head.halfWidth + volume, outerTop = head.top + volume;
  const hairlineY = eyeY - identity.hairlineAboveEyes;
  const sideY = eyeY + shape.sideBelowEyes;
  const crownV = head.cy - outerTop - 25;
  const partTilt = identity.hairPart * 3;
  const lumpiness = shape.lumpiness, jagAmplitude = shape.hairlineJag;
  const ragged = lumpiness + 1 / ppu;
  const bottom = long ? head.cy + head.bottom + 25 : Math.max(sideY, hairlineY) + jagAmplitude + 4;
  const span = canvas.span(head.cx - outerHalfWidth - lumpiness, head.cy - outerTop - lumpiness, head.cx + outerHalfWidth + lumpiness, bottom);
  const lx = light.x, ly = light.y, lz = light.z;
  const sheenCentre = -0.55 - 0.25 * ly;
  const face = new Float64Array(3);
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const dx = u - head.cx;
      const hx = dx * head.invHalfWidth;
      const dv = v - head.cy;
      const hy = dv < 0 ? dv * head.invTop : 0;
      const skull = dv < 0
        ? (Math.sqrt(hx * hx + 0.65 * hy * hy + 0.35 * hy * hy * hy * hy) - 1) * head.halfWidth
        : Math.abs(dx) - head.halfWidth;
      const volumeHere = volume * (sideVolume + (1 - sideVolume) * smoothstep(sideY + 2, hairlineY - 10, v));
      const outline = skull - volumeHere - (long && dv > 0 ? dv * 0.12 : 0);
      if (outline > ragged) continue;
      const t = Math.abs(hx);
      // Arched over the forehead, swept lower on one side, dropping in front of the ears.
      const lineY = hairlineY + partTilt * hx + 6 * t * t
        + (sideY - hairlineY - 6) * smoothstep(0.5, 1.0, t);
      const below = v - lineY;
      const i3 = (y * width + x) * 3;
      let cover = 1;
      if (below > jagAmplitude + 1) {
        if (!long) {
          // Hair casts a soft shadow just below the hairline.
          if (below < jagAmplitude + 4 && t < 0.75 && !shape.baldCrown) {
            multiply(color, i3, 0.85, (1 - (below - jagAmplitude) / 4) * (1 - smoothstep(0.5, 0.75, t)));
          }
          continue;
        }
        headDistance(head, u, v, face);
        if (face[0] < -shape.faceCover - jagAmplitude - 1) continue;
        cover = 0;
      }
      const wobble = noise(u * 0.45 + 13, v * 0.3 + 57) - 0.5;
      const inside = coverage(outline + lumpiness * wobble, ppu);
      if (inside <= 0) continue;
      const jag = jagAmplitude * 2 * wobble;
      if (cover === 1) cover = softEdge(below + jag, 1.2);
      if (shape.baldCrown) cover *= softEdge(eyeY - 14 - 14 * t * t - v + jag, 4);
      if (long && below > -2) {
        headDistance(head, u, v, face);
        cover = Math.max(cover, softEdge(-face[0] - shape.faceCover + jag, 1.2) * softEdge(v - bottom + 6 * wobble, 1.5));
      }
      const alpha = inside * cover * shape.density;
      if (alpha <= 0.002) continue;
      const strands = shape.curly
        ? curls(u, v)
        : clamp01((noise((dx / (v - crownV)) * 90 + 100, v * 0.2 + 40) - 0.5) * 2.5 + 0.5);
      const nz = Math.sqrt(Math.max(0.05, 1 - hx * hx * 0.8 - hy * hy));
      const diffuse = Math.max(0, (hx * lx + hy * ly + nz * lz + 0.2) / 1.2);
      const shade = (light.ambient + light.intensity * diffuse) * light.gain;
      const sheenAt = (hy - sheenCentre) / 0.18;
      const sheen = Math.max(0, 1 - sheenAt * sheenAt) * strands * light.intensity * 0.22;
      const k = shade * (0.5 + 0.7 * strands);
      blend(color, i3, hr * k + sheen, hg * k + sheen, hb * k + sheen * 0.9, buzz ? alpha * (0.55 + 0.45 * strands) : alpha);
    }
  }
}

function beardTexture(u: number, v: number): number {
  return noise(u * 1.7 + 300, v * 0.7 + 120);
}

function curls(u: number, v: number): number {
  const n = noise(u * 1.1 + 200, v * 1.1 + 80);
  const ring = 1 - Math.abs(n - 0.5) * 2;
  return 0.25 + 0.75 * ring * ring;
}

export function paintFacialHair(canvas: FaceCanvas, scene: FaceScene): void {
  const { identity, nuisance, head, mouthX, mouthY, mouthHalfWidth } = scene;
  const style = identity.facialHair;
  if (style === 'none') return;
  const { color, light, width } = canvas;
  const [fr, fg, fb] = identity.facialHairColor;
  const density = identity.facialHairDensity;
  const noseBase = scene.noseTipY + 3.2;
  const lipBottom = mouthY + (0.3 + 1.5 * nuisance.smile) + nuisance.mouthOpen * 3.5 + identity.lowerLipThickness;
  const lipMiddle = (mouthY - identity.upperLipThickness + lipBottom) / 2;
  const lipHalfHeight = (lipBottom - mouthY + identity.upperLipThickness) / 2 + 0.6;
  const chinY = head.cy + head.bottom;
  const moustacheThickness = 2.8 + 1.2 * density;
  const fluff = style === 'beard' ? 1.5 : 0;
  const face = new Float64Array(3);
  const top = style === 'stubble' || style === 'beard' ? scene.earY - 6 : noseBase - 1;
  const span = canvas.span(head.cx - head.halfWidth - 3, top, head.cx + head.halfWidth + 3, chinY + 3);
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      headDistance(head, u, v, face);
      const onFace = softEdge(face[0] - fluff, 1);
      if (onFace <= 0) continue;
      const s = (u - mouthX) / mouthHalfWidth;
      const as = Math.abs(s);
      // The moustache sits on the upper lip and droops past the corners of the mouth.
      const droop = Math.max(0, as - 0.6);
      const moustacheBottom = mouthY - identity.upperLipThickness * 0.55 * Math.sqrt(Math.max(0, 1 - s * s)) + 5 * droop * droop;
      const moustacheTop = Math.max(noseBase, moustacheBottom - moustacheThickness * (1 - 0.5 * s * s));
      let zone = softEdge(Math.max(moustacheTop - v, v - moustacheBottom, (as - 1.15) * mouthHalfWidth), 1);
      const lu = s / 1.02, lv = (v - lipMiddle) / lipHalfHeight;
      const offLips = 1 - softEdge((Math.sqrt(lu * lu + lv * lv) - 1) * 3, 1);
      if (style === 'goatee') {
        const gv = (v - (lipBottom + chinY) / 2 - 1) / ((chinY - lipBottom) / 2 + 1.5);
        const gu = s / 0.62;
        zone = Math.max(zone, offLips * softEdge((Math.sqrt(gu * gu + gv * gv) - 1) * 6, 1.5));
      } else if (style === 'beard' || style === 'stubble') {
        // Above the jaw the beard's upper edge runs from the ear down to beside the mouth.
        const reach = Math.min(1, Math.max(0, (Math.abs(u - mouthX) - mouthHalfWidth - 2) / (head.halfWidth - mouthHalfWidth - 2)));
        const cheekLine = mouthY - 6 + (scene.earY + 4 - (mouthY - 6)) * reach;
        zone = Math.max(zone, offLips * softEdge(cheekLine - v + 2 * (beardTexture(u, v) - 0.5), 4));
      }
      const alpha0 = onFace * zone;
      if (alpha0 <= 0.002) continue;
      const i = y * width + x;
      if (style === 'stubble') {
        // Stubble reads as a shadow over the skin, speckled by follicles.
        multiply(color, i * 3, 0.72, alpha0 * density * (0.3 + 0.7 * noise(u * 4 + 11, v * 4 + 29)));
        continue;
      }
      const strands = beardTexture(u, v);
      const k = (0.3 + 0.6 * light[i]) * (0.6 + 0.6 * strands);
      blend(color, i * 3, fr * k, fg * k, fb * k, alpha0 * density * (0.55 + 0.45 * strands));
    }
  }
}
