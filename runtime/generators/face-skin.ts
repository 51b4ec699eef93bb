// The body of the portrait: neck, clothed shoulders, ears and the shaded skin
// of the head. The head is lit through a pseudo-3D normal (a flattened
// ellipsoid plus smooth bumps for the nose, sockets, cheekbones and chin), so
// a directional light gives believable side shading; the resulting light
// factor is kept per pixel for the features painted on top.

import { noise } from './face-noise.ts';
import { blend, clamp01, coverage, smoothstep, softEdge, type FaceCanvas } from './face-canvas.ts';
import { BUMP_STRIDE, headDistance, type FaceScene } from './face-scene.ts';

function neckHalfWidth(scene: FaceScene): number {
  return scene.head.halfWidth * 0.62;
}

function collarY(scene: FaceScene): number {
  return scene.head.cy + scene.head.bottom + 12;
}

export function paintNeck(canvas: FaceCanvas, scene: FaceScene): void {
  const { head, light, identity } = scene;
  const halfWidth = neckHalfWidth(scene);
  // Higher up, the jaw hides the neck.
  const top = head.cy + head.bottom * 0.55, bottom = collarY(scene) + 10;
  const chinY = head.cy + head.bottom;
  const span = canvas.span(head.cx - halfWidth - 12, top, head.cx + halfWidth + 12, bottom);
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const [sr, sg, sb] = identity.skinTone;
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      if (v < top || v > bottom) continue;
      const widthHere = halfWidth + Math.max(0, v - chinY - 4) * 0.6;
      const dx = u - head.cx;
      const alpha = coverage(Math.abs(dx) - widthHere, ppu);
      if (alpha <= 0) continue;
      const across = dx / widthHere;
      const diffuse = Math.max(0, across * light.x * 0.8 + light.z * Math.sqrt(Math.max(0, 1 - across * across * 0.64)));
      // The jaw shades the top of the neck.
      const jawShadow = 0.45 + 0.55 * smoothstep(chinY - 6, chinY + 10, v);
      const shade = (light.ambient + light.intensity * diffuse) * light.gain * jawShadow * 0.92;
      blend(color, (y * width + x) * 3, sr * shade, sg * shade, sb * shade, alpha);
    }
  }
}

export function paintBody(canvas: FaceCanvas, scene: FaceScene): void {
  const { head, light, nuisance } = scene;
  const collar = collarY(scene);
  const collarHalfWidth = neckHalfWidth(scene) + 5;
  const collarDip = 5;
  const span = canvas.span(head.cx - 200, collar - 2, head.cx + 200, collar + 200);
  const { color, width, pixelsPerUnit: ppu } = canvas;
  const [cr, cg, cb] = nuisance.clothingColor;
  const frontLight = (light.ambient + light.intensity * (0.6 * light.z + 0.4 * Math.max(0, -light.y))) * light.gain;
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const dx = Math.abs(u - head.cx);
      const edgeY = dx < collarHalfWidth
        ? collar + collarDip * (1 - (dx / collarHalfWidth) ** 2)
        : collar + 0.3 * (dx - collarHalfWidth);
      const alpha = coverage(edgeY - v, ppu);
      if (alpha <= 0) continue;
      const folds = 0.8 + 0.35 * noise(u * 0.35 + 91, v * 0.12 + 17);
      const neckShadow = 0.7 + 0.3 * smoothstep(0, 8, v - edgeY);
      const rib = dx < collarHalfWidth + 2 && v - edgeY < 2.2 ? 0.85 : 1;
      const shade = frontLight * folds * neckShadow * rib;
      blend(color, (y * width + x) * 3, cr * shade, cg * shade, cb * shade, alpha);
    }
  }
}

export function paintEars(canvas: FaceCanvas, scene: FaceScene): void {
  const { head, light, identity } = scene;
  const [sr, sg, sb] = identity.skinTone;
  const rx = 5 * identity.earSize, ryTop = 10.5 * identity.earSize, ryBottom = 8.5 * identity.earSize;
  const { color, light: lightBuffer, width, pixelsPerUnit: ppu } = canvas;
  for (const outward of [-1, 1]) {
    const cx = head.cx + outward * (head.halfWidth - 1) + scene.earShift;
    const cy = scene.earY;
    const facing = Math.max(0, outward * light.x * 0.7 + light.z * 0.55 - light.y * 0.2);
    const baseShade = (light.ambient + light.intensity * facing) * light.gain * 0.95;
    const span = canvas.span(cx - rx - 1, cy - ryTop - 1, cx + rx + 1, cy + ryBottom + 1);
    for (let y = span.y0; y < span.y1; y++) {
      let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
      let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
      for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
        // Local frame: a outward, b down; the top of the ear leans out a little.
        const b = v - cy;
        const a = (u - cx) * outward + b * 0.15;
        const ry = b < 0 ? ryTop : ryBottom;
        const q = Math.sqrt((a * a) / (rx * rx) + (b * b) / (ry * ry));
        const alpha = coverage((q - 1) * rx, ppu);
        if (alpha <= 0) continue;
        // The bowl of the ear sits inward of the rim and is in its shadow.
        const ia = a + 1.2, ib = b + 1;
        const bowl = Math.sqrt((ia * ia) / (rx * rx * 0.3) + (ib * ib) / (ry * ry * 0.4));
        const shade = baseShade * (1 - 0.35 * softEdge(bowl - 1, 0.8)) * (0.85 + 0.15 * q);
        const i = y * width + x;
        blend(color, i * 3, sr * 0.97 * shade, sg * 0.88 * shade, sb * 0.86 * shade, alpha);
        lightBuffer[i] = shade;
      }
    }
  }
}

export function paintHeadSkin(canvas: FaceCanvas, scene: FaceScene): void {
  const { head, light, identity, bumps } = scene;
  const span = canvas.span(head.cx - head.halfWidth - 1, head.cy - head.top - 1, head.cx + head.halfWidth + 1, head.cy + head.bottom + 1);
  const { color, light: lightBuffer, width, pixelsPerUnit: ppu } = canvas;
  const [sr, sg, sb] = identity.skinTone;
  const [textureU, textureV] = identity.skinTextureOffset;
  const textureAmount = identity.skinTextureAmount;
  const blushAmount = identity.blush * 0.06;
  const cheekY = scene.eyes[0].cy + 13;
  const cheekLeftU = scene.eyes[0].cx - 3, cheekRightU = scene.eyes[1].cx + 3;
  const bumpCount = bumps.length / BUMP_STRIDE;
  const activeBumps = new Int32Array(bumpCount);
  const shape = new Float64Array(3);
  for (let y = span.y0; y < span.y1; y++) {
    const uRow = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    const vRow = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    const vEnd = vRow + canvas.vPerX * (span.x1 - span.x0);
    const vLow = Math.min(vRow, vEnd), vHigh = Math.max(vRow, vEnd);
    let activeCount = 0;
    for (let k = 0; k < bumpCount; k++) {
      const o = k * BUMP_STRIDE;
      const ry = 1 / Math.sqrt(bumps[o + 3]);
      if (bumps[o + 1] + ry > vLow && bumps[o + 1] - ry < vHigh) activeBumps[activeCount++] = o;
    }
    let u = uRow, v = vRow;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      headDistance(head, u, v, shape);
      const alpha = coverage(shape[0], ppu);
      if (alpha <= 0) continue;
      const hx = shape[1], hy = shape[2];
      // A flattened ellipsoid: the front of a face is flat, its sides turn away fast.
      let nx = hx * (0.3 + 0.7 * hx * hx);
      let ny = hy * (0.25 + 0.55 * hy * hy);
      let nz = Math.sqrt(Math.max(0.03, 1 - nx * nx - ny * ny));
      let occlusion = 0;
      for (let k = 0; k < activeCount; k++) {
        const o = activeBumps[k];
        const dx = u - bumps[o], dy = v - bumps[o + 1];
        const q = dx * dx * bumps[o + 2] + dy * dy * bumps[o + 3];
        if (q >= 1) continue;
        const w = 1 - q;
        const slope = 4 * bumps[o + 4] * w * nz;
        nx += slope * dx * bumps[o + 2];
        ny += slope * dy * bumps[o + 3];
        occlusion += bumps[o + 5] * w * w;
      }
      const inv = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz);
      nx *= inv; ny *= inv; nz *= inv;
      // Wrapped diffuse: light bleeds past the terminator in skin.
      const diffuse = Math.max(0, (nx * light.x + ny * light.y + nz * light.z + 0.25) * 0.8);
      const shade = (light.ambient * (1 - occlusion) + light.intensity * diffuse * (1 - 0.5 * occlusion)) * light.gain;
      let highlight = Math.max(0, nx * light.halfX + ny * light.halfY + nz * light.halfZ);
      highlight *= highlight; highlight *= highlight; highlight *= highlight; highlight *= highlight;
      highlight *= light.specular * light.intensity * (1 - occlusion);
      // The tile's octaves give pores and blotches in one lookup.
      const albedo = 1 + textureAmount * 3 * (noise(u * 1.4 + textureU, v * 1.4 + textureV) - 0.5);
      const dl = u - cheekLeftU, dr = u - cheekRightU, dc = v - cheekY;
      const blush = blushAmount * clamp01(1 - (Math.min(dl * dl, dr * dr) + dc * dc * 1.6) / 130);
      const i = y * width + x;
      blend(
        color, i * 3,
        sr * albedo * shade + highlight,
        sg * albedo * (1 - blush) * shade + highlight,
        sb * albedo * (1 - blush) * shade + highlight * 0.95,
        alpha,
      );
      lightBuffer[i] = shade;
    }
  }
}

