// The drawing surface shared by every face layer.
//
// Layers think in ArcFace template units (the 112x112 aligned crop); the canvas
// maps output pixels to template coordinates with one affine transform that
// also carries the roll/scale/shift jitter, so the features never need to know
// the output size. Each layer only visits the pixels of its own bounding box
// (`span`), which is what keeps a face at a couple of milliseconds.

export interface PixelSpan {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

// Roll and scale jitter pivot around the centroid of the five landmarks, as a
// slightly-off alignment would.
const PIVOT_U = 56, PIVOT_V = 72;

export class FaceCanvas {
  /** Linear-ish RGB in [0, 1], HWC. */
  readonly color: Float32Array;
  /** The skin's lighting factor at each pixel, so features painted on the skin inherit its shading. */
  readonly light: Float32Array;
  /** Template coordinates of pixel (x, y)'s centre: u = uPerX*x + uPerY*y + uAt0. */
  uPerX = 1; uPerY = 0; uAt0 = 0;
  vPerX = 0; vPerY = 1; vAt0 = 0;
  /** Output pixels per template unit: anti-aliasing widths are one pixel, whatever the size. */
  pixelsPerUnit = 1;
  private readonly baseScale: number;
  private readonly originX: number;
  private readonly originY: number;
  private cos = 1; private sin = 0; private scale = 1; private shiftU = 0; private shiftV = 0;

  constructor(readonly width: number, readonly height: number) {
    this.color = new Float32Array(width * height * 3);
    this.light = new Float32Array(width * height);
    this.baseScale = Math.min(width, height) / 112;
    this.originX = (width - 112 * this.baseScale) / 2;
    this.originY = (height - 112 * this.baseScale) / 2;
  }

  setPose(rollDegrees: number, scale: number, shiftU: number, shiftV: number): void {
    const angle = (rollDegrees * Math.PI) / 180;
    this.cos = Math.cos(angle);
    this.sin = Math.sin(angle);
    this.scale = scale;
    this.shiftU = shiftU;
    this.shiftV = shiftV;
    this.pixelsPerUnit = this.baseScale * scale;
    // Inverse of: pixel = origin + base * (scale * R * (t - pivot) + pivot + shift).
    const k = 1 / (this.baseScale * scale);
    const c = this.cos, s = this.sin;
    const qx0 = (0.5 - this.originX) / this.baseScale - PIVOT_U - shiftU;
    const qy0 = (0.5 - this.originY) / this.baseScale - PIVOT_V - shiftV;
    this.uPerX = c * k; this.uPerY = s * k;
    this.vPerX = -s * k; this.vPerY = c * k;
    this.uAt0 = PIVOT_U + (c * qx0 + s * qy0) / scale;
    this.vAt0 = PIVOT_V + (-s * qx0 + c * qy0) / scale;
  }

  /** The pixels whose centres may fall in a template-space box, clipped to the image. */
  span(uMin: number, vMin: number, uMax: number, vMax: number): PixelSpan {
    let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
    for (let corner = 0; corner < 4; corner++) {
      const u = corner & 1 ? uMax : uMin;
      const v = corner & 2 ? vMax : vMin;
      const du = (u - PIVOT_U) * this.scale, dv = (v - PIVOT_V) * this.scale;
      const x = this.originX + this.baseScale * (this.cos * du - this.sin * dv + PIVOT_U + this.shiftU);
      const y = this.originY + this.baseScale * (this.sin * du + this.cos * dv + PIVOT_V + this.shiftV);
      if (x < xMin) xMin = x;
      if (x > xMax) xMax = x;
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
    return {
      x0: Math.max(0, Math.floor(xMin)),
      x1: Math.min(this.width, Math.ceil(xMax) + 1),
      y0: Math.max(0, Math.floor(yMin)),
      y1: Math.min(this.height, Math.ceil(yMax) + 1),
    };
  }
}

/** Fraction of a pixel covered by a shape, given the shape's signed distance (template units) and the anti-aliasing scale. */
export function coverage(distance: number, pixelsPerUnit: number): number {
  const c = 0.5 - distance * pixelsPerUnit;
  return c <= 0 ? 0 : c >= 1 ? 1 : c;
}

/** Linear ramp from 1 inside to 0 outside over `width` template units; soft edges that stay soft at any size. */
export function softEdge(distance: number, width: number): number {
  const c = 0.5 - distance / width;
  return c <= 0 ? 0 : c >= 1 ? 1 : c;
}

export function blend(color: Float32Array, i3: number, r: number, g: number, b: number, alpha: number): void {
  color[i3] += (r - color[i3]) * alpha;
  color[i3 + 1] += (g - color[i3 + 1]) * alpha;
  color[i3 + 2] += (b - color[i3 + 2]) * alpha;
}

/** Darkens (factor < 1) or brightens what is already there, e.g. a shadow or a crease. */
export function multiply(color: Float32Array, i3: number, factor: number, alpha: number): void {
  const k = 1 + (factor - 1) * alpha;
  color[i3] *= k;
  color[i3 + 1] *= k;
  color[i3 + 2] *= k;
}

export function clamp01(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}

export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = clamp01((x - edge0) / (edge1 - edge0));
  return t * t * (3 - 2 * t);
}
