// The photographic parts of a synthetic portrait: what is behind the person,
// and what the camera does to the scene (blur, white balance, tone curve,
// saturation, sensor noise) on the way to 8-bit RGB.

import { noise } from './face-noise.ts';
import { blend, softEdge, type FaceCanvas } from './face-canvas.ts';
import type { BlurredShape, FaceNuisance } from './face-traits.ts';

export function paintBackground(canvas: FaceCanvas, nuisance: FaceNuisance): void {
  const { color, light, width, height } = canvas;
  const bg = nuisance.background;
  const [ar, ag, ab] = bg.colorA;
  const [br, bgreen, bb] = bg.colorB;
  // Light read by features that stray off the skin: a neutral value, not whatever the last face left.
  light.fill(1);
  const dirU = Math.cos(bg.angle) / 112, dirV = Math.sin(bg.angle) / 112;
  const noiseScale = bg.kind === 'noise' ? bg.noiseScale : 0.05;
  const noiseAmount = bg.kind === 'noise' ? 1 : bg.kind === 'shapes' ? 0.3 : 0;
  for (let y = 0; y < height; y++) {
    let u = canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerY * y + canvas.vAt0;
    for (let x = 0; x < width; x++, u += canvas.uPerX, v += canvas.vPerX) {
      let t = 0;
      if (bg.kind === 'gradient') t = Math.min(1, Math.max(0, 0.5 + (u - 56) * dirU + (v - 56) * dirV));
      else if (noiseAmount > 0) t = noiseAmount * noise(u * noiseScale + 17, v * noiseScale + 91);
      const i3 = (y * width + x) * 3;
      color[i3] = ar + (br - ar) * t;
      color[i3 + 1] = ag + (bgreen - ag) * t;
      color[i3 + 2] = ab + (bb - ab) * t;
    }
  }
  for (const shape of bg.shapes) paintBlurredShape(canvas, shape);
}

function paintBlurredShape(canvas: FaceCanvas, shape: BlurredShape): void {
  const { color, width } = canvas;
  const [cu, cv] = shape.center;
  const [r, g, b] = shape.color;
  const reach = shape.radius + shape.softness / 2;
  const span = canvas.span(cu - reach, cv - reach, cu + reach, cv + reach);
  for (let y = span.y0; y < span.y1; y++) {
    let u = canvas.uPerX * span.x0 + canvas.uPerY * y + canvas.uAt0;
    let v = canvas.vPerX * span.x0 + canvas.vPerY * y + canvas.vAt0;
    for (let x = span.x0; x < span.x1; x++, u += canvas.uPerX, v += canvas.vPerX) {
      const du = u - cu, dv = v - cv;
      const alpha = softEdge(Math.sqrt(du * du + dv * dv) - shape.radius, shape.softness);
      if (alpha > 0) blend(color, (y * width + x) * 3, r, g, b, alpha);
    }
  }
}

const TONE_STEPS = 512;
const TONE_RANGE = 1.28;

/** Blurs, tone-maps and adds sensor noise, writing interleaved 8-bit RGB into `out`. */
export function developPhoto(canvas: FaceCanvas, nuisance: FaceNuisance, out: Uint8ClampedArray): void {
  if (nuisance.blur > 0) blur3(canvas, nuisance.blur);
  const { color, width, height } = canvas;
  const curves = toneCurves(nuisance);
  const saturation = nuisance.saturation;
  const noiseScale = nuisance.noise * 255 * 2.45 / 65536; // a sum of two uniforms has std 1/sqrt(6)
  const toIndex = TONE_STEPS / TONE_RANGE;
  let state = (nuisance.noiseSeed | 1) >>> 0;
  const n = width * height * 3;
  for (let i = 0; i < n; i += 3) {
    const r = color[i], g = color[i + 1], b = color[i + 2];
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    const ri = toneIndex(luma + (r - luma) * saturation, toIndex);
    const gi = toneIndex(luma + (g - luma) * saturation, toIndex);
    const bi = toneIndex(luma + (b - luma) * saturation, toIndex);
    if (noiseScale === 0) {
      out[i] = curves[ri];
      out[i + 1] = curves[TONE_STEPS + gi];
      out[i + 2] = curves[2 * TONE_STEPS + bi];
      continue;
    }
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    out[i] = curves[ri] + ((state & 0xffff) + (state >>> 16) - 65535) * noiseScale;
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    out[i + 1] = curves[TONE_STEPS + gi] + ((state & 0xffff) + (state >>> 16) - 65535) * noiseScale;
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    out[i + 2] = curves[2 * TONE_STEPS + bi] + ((state & 0xffff) + (state >>> 16) - 65535) * noiseScale;
  }
}

function toneIndex(value: number, toIndex: number): number {
  const i = (value * toIndex) | 0;
  return i < 0 ? 0 : i >= TONE_STEPS ? TONE_STEPS - 1 : i;
}

// White balance, gamma and contrast folded into one lookup per channel.
function toneCurves(nuisance: FaceNuisance): Float32Array {
  const t = nuisance.colorTemperature;
  const balance = [1 + 0.05 * t, 1 + 0.01 * t, 1 - 0.06 * t];
  const curves = new Float32Array(3 * TONE_STEPS);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < TONE_STEPS; i++) {
      const linear = Math.min(1, ((i + 0.5) / TONE_STEPS) * TONE_RANGE * balance[c]);
      const v = (Math.pow(linear, 1 / nuisance.gamma) - 0.5) * nuisance.contrast + 0.5;
      curves[c * TONE_STEPS + i] = v * 255;
    }
  }
  return curves;
}

// Separable [w, 1 - 2w, w] blur, in place, clamping at the borders.
function blur3(canvas: FaceCanvas, w: number): void {
  const { color, width, height } = canvas;
  const centre = 1 - 2 * w;
  const row = new Float32Array(width * 3);
  for (let y = 0; y < height; y++) {
    const base = y * width * 3;
    row.set(color.subarray(base, base + width * 3));
    for (let x = 0; x < width; x++) {
      const l = (x > 0 ? x - 1 : 0) * 3, c = x * 3, r = (x < width - 1 ? x + 1 : x) * 3;
      for (let k = 0; k < 3; k++) color[base + c + k] = centre * row[c + k] + w * (row[l + k] + row[r + k]);
    }
  }
  const previous = new Float32Array(width * 3);
  const current = new Float32Array(width * 3);
  previous.set(color.subarray(0, width * 3));
  for (let y = 0; y < height; y++) {
    const base = y * width * 3;
    current.set(color.subarray(base, base + width * 3));
    const next = y < height - 1 ? base + width * 3 : base;
    for (let j = 0; j < width * 3; j++) color[base + j] = centre * current[j] + w * (previous[j] + color[next + j]);
    previous.set(current);
  }
}
