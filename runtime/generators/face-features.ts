// Eyes, brows, nostrils and mouth, painted over the shaded skin. Each works in
// its own local frame (outward/down from the feature's centre) and reads the
// skin's light factor so that a feature in shadow stays in shadow.

import { noise } from './face-noise.ts';
import { blend, clamp01, coverage, multiply, softEdge, type FaceCanvas } from './face-canvas.ts';
import type { EyeGeometry, FaceScene } from './face-scene.ts';

const SCLERA = [0.9, 0.87, 0.83] as const;
const LASH = [0.05, 0.04, 0.04] as const;
const MOUTH_INSIDE = [0.22, 0.07, 0.08] as const;
const TEETH = [0.9, 0.87, 0.8] as const;

export function paintEyes(canvas: FaceCanvas, scene: FaceScene): void {
  for (const eye of scene.eyes) paintEye(canvas, scene, eye);
}

function paintEye(canvas: FaceCanvas, scene: FaceScene, eye: EyeGeometry): void {
  const { identity } = scene;
  const { color, light, width, pixelsPerUnit: ppu } = canvas;
  const halfWidth = eye.halfWidth, upper = eye.upper, lower = eye.lower;
  const lash = identity.lashThickness;
  const irisRadius = identity.irisRadius, pupilRadius = irisRadius * 0.38;
  const [ir, ig, ib] = identity.irisColor;
  const reach = halfWidth * 1.25 + 1;
  const span = canvas.span(eye.cx - reach, eye.cy - upper - lash - 4.5, eye.cx + reach, eye.cy + lower + 2);
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const a = (u - eye.cx) * eye.outward;
      const b = v - eye.cy + eye.tilt * a;
      const s = a / halfWidth;
      if (s <= -1.1 || s >= 1.15) continue;
      const envelope = Math.max(0, 1 - s * s);
      // The upper lid peaks towards the nose, the lower lid dips towards the temple.
      const top = -upper * envelope * (1 - 0.2 * s);
      const bottom = lower * envelope * (1 + 0.2 * s);
      const i = y * width + x, i3 = i * 3;
      const skinLight = light[i];

      const creaseB = -(upper + 2.1) * Math.sqrt(envelope);
      const crease = coverage(Math.abs(b - creaseB) - 0.3, ppu) * envelope;
      if (crease > 0) multiply(color, i3, 0.8, crease);

      const aperture = coverage(Math.max(top - b, b - bottom), ppu);
      if (aperture > 0) {
        const lidShadow = 0.5 + 0.5 * clamp01((b - top) / 1.8);
        const shade = (0.35 + 0.6 * skinLight) * lidShadow;
        const cornerShade = 1 - 0.3 * s * s * s * s;
        let er = SCLERA[0] * cornerShade, eg = SCLERA[1] * cornerShade, eb = SCLERA[2] * cornerShade;
        if (s < -0.75) {
          const caruncle = (-0.75 - s) * 2;
          er -= 0.1 * caruncle; eg -= 0.35 * caruncle; eb -= 0.3 * caruncle;
        }
        const ix = u - eye.irisX, iy = v - eye.irisY;
        const r = Math.sqrt(ix * ix + iy * iy);
        const irisCover = coverage(r - irisRadius, ppu);
        if (irisCover > 0) {
          const fibres = 0.7 + 0.6 * noise(ix * 4 + 31, iy * 4 + 7);
          const limbus = 1 - 0.5 * clamp01((r - irisRadius * 0.6) / (irisRadius * 0.4));
          const k = fibres * limbus;
          const pupil = coverage(r - pupilRadius, ppu);
          const pr = ir * k * (1 - pupil) + 0.02 * pupil;
          const pg = ig * k * (1 - pupil) + 0.02 * pupil;
          const pb = ib * k * (1 - pupil) + 0.02 * pupil;
          er += (pr - er) * irisCover; eg += (pg - eg) * irisCover; eb += (pb - eb) * irisCover;
        }
        blend(color, i3, er * shade, eg * shade, eb * shade, aperture);
        const hx = u - eye.highlightX, hy = v - eye.highlightY;
        const glint = coverage(Math.sqrt(hx * hx + hy * hy) - 0.6, ppu) * aperture;
        if (glint > 0) blend(color, i3, 0.97, 0.97, 0.95, glint * (0.5 + 0.4 * skinLight));
      }

      // Lashes thicken towards the outer corner and flick past it.
      const lashS = s > 1 ? 1 : s;
      const lashTop = top - lash * (0.7 + 0.5 * Math.max(0, lashS)) - (s > 0.9 ? (s - 0.9) * 1.5 : 0);
      const lashCover = s < -1 ? 0 : coverage(Math.max(lashTop - b, b - top - 0.35), ppu);
      if (lashCover > 0) blend(color, i3, LASH[0], LASH[1], LASH[2], lashCover * 0.92);
      const lowerLine = coverage(Math.abs(b - bottom - 0.2) - 0.3, ppu) * envelope;
      if (lowerLine > 0) multiply(color, i3, 0.65, lowerLine * 0.6);
    }
  }
}

export function paintBrows(canvas: FaceCanvas, scene: FaceScene): void {
  const { identity } = scene;
  const { color, light, width } = canvas;
  const [br, bg, bb] = identity.browColor;
  const thickness = identity.browThickness, arch = identity.browArch;
  for (const eye of scene.eyes) {
    const inner = -eye.halfWidth * 0.95;
    const outer = eye.halfWidth * 1.35 * identity.browLength;
    const lowest = eye.cy - identity.browHeight + thickness;
    const span = canvas.span(eye.cx - Math.max(-inner, outer) - 1, lowest - thickness * 1.4 - arch - 2, eye.cx + Math.max(-inner, outer) + 1, lowest + 1);
    for (let y = span.y0; y < span.y1; y++) {
      let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
      let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
      for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
        const a = (u - eye.cx) * eye.outward;
        const b = v - eye.cy;
        const t = (a - inner) / (outer - inner);
        if (t < -0.1 || t > 1.1) continue;
        // Rises to a peak two thirds of the way out, then the tail drops.
        const fromPeak = t < 0.62 ? (t - 0.62) / 0.75 : (t - 0.62) / 0.38;
        const centreline = -identity.browHeight - arch * (1 - fromPeak * fromPeak) + (t > 0.62 ? (t - 0.62) * 2 : 0);
        const half = thickness * (0.62 - 0.3 * t);
        const d = Math.max(Math.abs(b - centreline) - half, -t * (outer - inner), (t - 1) * (outer - inner));
        const body = softEdge(d, 1.1);
        if (body <= 0) continue;
        // Strands run along the brow: noise stretched along it, fine across it.
        const strands = noise(a * 0.5 + 40 * eye.outward, b * 3.5 + 11);
        const alpha = body * (0.35 + 0.65 * strands) * 0.95;
        const i = y * width + x;
        const shade = 0.5 + 0.5 * light[i];
        blend(color, i * 3, br * shade, bg * shade, bb * shade, alpha);
      }
    }
  }
}

export function paintNostrils(canvas: FaceCanvas, scene: FaceScene): void {
  const { identity } = scene;
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const nostrilY = scene.noseTipY + 1.9;
  const wingRadius = 3.4;
  for (const outward of [-1, 1]) {
    const nostrilX = scene.noseX + outward * identity.noseWidth * 0.45;
    const wingX = scene.noseX + outward * identity.noseWidth * 0.85;
    const wingY = scene.noseTipY + 0.4;
    const span = canvas.span(Math.min(nostrilX, wingX) - 5, wingY - 5, Math.max(nostrilX, wingX) + 5, nostrilY + 3);
    for (let y = span.y0; y < span.y1; y++) {
      let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
      let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
      for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
        const i3 = (y * width + x) * 3;
        // Nostrils tilt up towards the outside.
        const a = (u - nostrilX) * outward, b = v - nostrilY + a * 0.3;
        const q = Math.sqrt((a * a) / 2.6 + (b * b) / 0.7);
        const nostril = softEdge((q - 1) * 1.1, 0.9);
        if (nostril > 0) multiply(color, i3, 0.4, nostril * 0.85);
        // The crease that outlines the wing of the nose, on its outer and lower side.
        const wa = (u - wingX) * outward, wb = v - wingY;
        const r = Math.sqrt(wa * wa + wb * wb);
        if (wa > -1.5 && wb > -3) {
          const crease = coverage(Math.abs(r - wingRadius) - 0.35, ppu) * clamp01((wa + 1.5) / 2);
          if (crease > 0) multiply(color, i3, 0.8, crease * 0.5);
        }
      }
    }
  }
}

export function paintMouth(canvas: FaceCanvas, scene: FaceScene): void {
  const { identity, nuisance } = scene;
  const { color, light, width, pixelsPerUnit: ppu } = canvas;
  const halfWidth = scene.mouthHalfWidth;
  const smile = nuisance.smile;
  const gapMax = nuisance.mouthOpen * 4.5;
  const upperThickness = identity.upperLipThickness, lowerThickness = identity.lowerLipThickness;
  const [lr, lg, lb] = identity.lipColor;
  const curve = 0.3 + 1.5 * smile;
  const span = canvas.span(scene.mouthX - halfWidth * 1.15, scene.mouthY - upperThickness - 3, scene.mouthX + halfWidth * 1.15, scene.mouthY + curve + gapMax + lowerThickness + 3);
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const s = (u - scene.mouthX) / halfWidth;
      if (s <= -1.12 || s >= 1.12) continue;
      const b = v - scene.mouthY;
      const envelope = Math.max(0, 1 - s * s);
      const fullness = Math.sqrt(envelope);
      // A smile lifts the corners, i.e. the middle of the seam sits lower than them.
      const seam = curve * envelope;
      const gap = gapMax * fullness;
      const innerTop = seam - gap * 0.25, innerBottom = seam + gap * 0.75;
      const cupidsBow = 1 - 0.25 * Math.max(0, 1 - (s / 0.18) ** 2);
      const top = innerTop - upperThickness * fullness * cupidsBow;
      const bottom = innerBottom + lowerThickness * fullness * (1 - 0.15 * s * s);
      const i = y * width + x, i3 = i * 3;
      const shade = 0.2 + 0.85 * light[i];
      const lips = softEdge(Math.max(top - b, b - bottom), Math.max(0.6, 1 / ppu));
      if (lips > 0) {
        let k: number;
        if (b < innerTop) {
          // The upper lip faces down, away from most light.
          k = 0.78 - 0.15 * clamp01((b - top) / upperThickness);
        } else {
          const lowerMid = (innerBottom + bottom) / 2 - 0.5;
          const sheen = Math.max(0, 1 - (s / 0.45) ** 2 - ((b - lowerMid) / 1.2) ** 2);
          k = 1 + 0.25 * sheen;
        }
        blend(color, i3, lr * k * shade, lg * k * shade, lb * k * shade, lips);
      }
      if (gap > 0.05) {
        const opening = coverage(Math.max(innerTop - b, b - innerBottom), ppu);
        if (opening > 0) {
          const upperTeeth = b < innerTop + Math.min(2.4, gap * 0.45) && Math.abs(s) < 0.78;
          const lowerTeeth = b > innerBottom - Math.min(1.5, gap * 0.2) && Math.abs(s) < 0.6;
          const tone = upperTeeth ? 1 : lowerTeeth ? 0.8 : 0;
          const mr = MOUTH_INSIDE[0] + (TEETH[0] - MOUTH_INSIDE[0]) * tone;
          const mg = MOUTH_INSIDE[1] + (TEETH[1] - MOUTH_INSIDE[1]) * tone;
          const mb = MOUTH_INSIDE[2] + (TEETH[2] - MOUTH_INSIDE[2]) * tone;
          blend(color, i3, mr * shade, mg * shade, mb * shade, opening);
        }
      } else {
        const seamLine = coverage(Math.abs(b - seam) - 0.3, ppu) * (0.5 + 0.5 * Math.min(1, Math.abs(s) * 1.5));
        if (seamLine > 0) multiply(color, i3, 0.45, seamLine);
      }
    }
  }
}
