// Things worn or held in front of the face: glasses (part of the identity) and
// the occasional occluder (a hand, a scarf, a hat brim) that a calibration set
// should include because real photos do.

import { noise } from './face-noise.ts';
import { blend, clamp01, coverage, multiply, softEdge, type FaceCanvas } from './face-canvas.ts';
import type { FaceScene } from './face-scene.ts';

export function paintGlasses(canvas: FaceCanvas, scene: FaceScene): void {
  const glasses = scene.identity.glasses;
  if (!glasses) return;
  const { head, eyes, light } = scene;
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const [fr, fg, fb] = glasses.frameColor;
  const [tr, tg, tb] = glasses.tint;
  const halfW = glasses.lensHalfWidth, halfH = glasses.lensHalfHeight;
  const cornerRadius = 2 + glasses.roundness * (Math.min(halfW, halfH) - 2);
  const halfThickness = glasses.frameThickness / 2;
  const lensX = eyes.map((e) => e.cx + e.outward * 0.8);
  const lensY = eyes.map((e) => e.cy + 1.2);
  const armY = (lensY[0] + lensY[1]) / 2 - halfH * 0.45;
  const bridgeY = (lensY[0] + lensY[1]) / 2 - halfH * 0.25;
  const frameShade = (light.ambient + light.intensity * light.z) * light.gain;
  const span = canvas.span(head.cx - head.halfWidth - 3, Math.min(...lensY) - halfH - 2, head.cx + head.halfWidth + 3, Math.max(...lensY) + halfH + 2);
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const side = u < scene.noseX ? 0 : 1;
      const lx = u - lensX[side], ly = v - lensY[side];
      const px = Math.abs(lx) - (halfW - cornerRadius), py = Math.abs(ly) - (halfH - cornerRadius);
      const outsideX = Math.max(px, 0), outsideY = Math.max(py, 0);
      const lens = Math.sqrt(outsideX * outsideX + outsideY * outsideY) + Math.min(Math.max(px, py), 0) - cornerRadius;
      const i3 = (y * width + x) * 3;
      if (lens < 0) {
        blend(color, i3, tr, tg, tb, glasses.tintOpacity * coverage(lens, ppu));
        const glare = 1 - Math.abs(lx * 0.8 + ly - halfH * 0.2) / 1.8;
        if (glare > 0) blend(color, i3, 1, 1, 1, glare * 0.12 * light.intensity);
      }
      const rim = Math.abs(lens) - halfThickness;
      const outer = eyes[side].outward * lx - halfW;
      const arm = outer > 0 && Math.abs(u - head.cx) < head.halfWidth + 2 ? Math.abs(v - armY) - halfThickness * 0.8 : Infinity;
      const bridge = Math.abs(u - scene.noseX) < Math.abs(lensX[1] - lensX[0]) / 2 - halfW + 1
        ? Math.abs(v - bridgeY - 0.04 * (u - scene.noseX) ** 2) - halfThickness * 0.8
        : Infinity;
      const frame = coverage(Math.min(rim, arm, bridge), ppu);
      if (frame > 0) {
        const k = frameShade * (0.8 + 0.4 * clamp01(0.5 - ly / (2 * halfH)));
        blend(color, i3, fr * k, fg * k, fb * k, frame);
      }
    }
  }
}

export function paintOccluder(canvas: FaceCanvas, scene: FaceScene): void {
  const occluder = scene.nuisance.occluder;
  if (!occluder) return;
  if (occluder.kind === 'hand') paintHand(canvas, scene, occluder.side, occluder.position);
  else if (occluder.kind === 'scarf') paintScarf(canvas, scene, occluder.color, occluder.position);
  else paintBrim(canvas, scene, occluder.color, occluder.position);
}

function paintHand(canvas: FaceCanvas, scene: FaceScene, side: -1 | 1, position: number): void {
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const { light } = scene;
  const [sr, sg, sb] = scene.identity.skinTone;
  const palmX = scene.mouthX + side * (18 + 10 * position), palmY = 122 - 12 * position;
  const fingerLength = 17, fingerRadius = 3.3;
  // Fingers fan up and towards the face from the top of the palm.
  const fingers = [0, 1, 2, 3].map((k) => {
    const angle = -Math.PI / 2 - side * (0.25 + k * 0.17);
    const baseX = palmX - side * (k - 1.5) * 6.5, baseY = palmY - 8;
    return [baseX, baseY, Math.cos(angle), Math.sin(angle)];
  });
  const span = canvas.span(palmX - 40, palmY - 35, palmX + 40, palmY + 30);
  const handShade = (light.ambient + light.intensity * (0.3 + 0.7 * light.z)) * light.gain;
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const pa = (u - palmX) / 15, pb = (v - palmY) / 16;
      let nearest = (Math.sqrt(pa * pa + pb * pb) - 1) * 15;
      let ridge = 1;
      for (const [bx, by, dx, dy] of fingers) {
        const along = Math.min(fingerLength, Math.max(0, (u - bx) * dx + (v - by) * dy));
        const ex = u - bx - dx * along, ey = v - by - dy * along;
        const d = Math.sqrt(ex * ex + ey * ey) - fingerRadius;
        if (d < nearest) {
          nearest = d;
          ridge = 1 - 0.35 * clamp01(1 + d / fingerRadius) ** 4;
        }
      }
      const alpha = coverage(nearest, ppu);
      if (alpha <= 0) continue;
      const k = handShade * (0.75 + 0.25 * ridge) * (0.92 + 0.08 * noise(u * 2, v * 2));
      blend(color, (y * width + x) * 3, sr * k, sg * k * 0.95, sb * k * 0.95, alpha);
    }
  }
}

function paintScarf(canvas: FaceCanvas, scene: FaceScene, [cr, cg, cb]: readonly number[], position: number): void {
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const { light, head } = scene;
  const chinY = head.cy + head.bottom;
  // From just under the nose (hiding the mouth) down to the chin.
  const top = scene.noseTipY + 5 + (chinY - 8 - scene.noseTipY - 5) * position;
  const span = canvas.span(-200, top - 3, 312, 400);
  const shade = (light.ambient + light.intensity * light.z) * light.gain;
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const dx = u - head.cx;
      const edge = top + 0.004 * dx * dx + 1.5 * noise(u * 0.2, 3);
      const alpha = coverage(edge - v, ppu);
      if (alpha <= 0) continue;
      const knit = 0.85 + 0.25 * noise(u * 1.5 + 40, v * 3);
      const folds = 0.75 + 0.4 * noise(u * 0.15 + 3, v * 0.5 + 9);
      const k = shade * knit * folds * (0.75 + 0.25 * clamp01((v - edge) / 4));
      blend(color, (y * width + x) * 3, cr * k, cg * k, cb * k, alpha);
    }
  }
}

function paintBrim(canvas: FaceCanvas, scene: FaceScene, [cr, cg, cb]: readonly number[], position: number): void {
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const { light, head } = scene;
  const brimY = 20 + 16 * position;
  const halfWidth = head.halfWidth + 14;
  const span = canvas.span(-200, -200, 312, brimY + 14);
  const brimShade = (light.ambient + light.intensity * Math.max(0, -light.y) * 0.6) * light.gain;
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const across = (u - head.cx) / halfWidth;
      const i3 = (y * width + x) * 3;
      // The lower edge of a brim seen from the front bows down in the middle.
      const edge = brimY + 4 * Math.max(0, 1 - across * across);
      const hat = coverage(Math.max(v - edge, Math.abs(across) - 1), ppu);
      const below = v - edge;
      if (hat <= 0) {
        if (below > 0 && below < 12 && Math.abs(across) < 1) multiply(color, i3, 0.55, (1 - below / 12) * softEdge(Math.abs(across) - 0.95, 0.1));
        continue;
      }
      const underside = clamp01(1 - (edge - v) / 5);
      const k = brimShade * (1 - 0.45 * underside) * (0.9 + 0.2 * noise(u * 0.8, v * 0.8));
      blend(color, i3, cr * k, cg * k, cb * k, hat);
    }
  }
}
