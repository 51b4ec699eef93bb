// Smooth value noise for skin, hair, fabric and backgrounds.
//
// Evaluating gradient or value noise per pixel costs hashes and fades per
// octave; the renderer needs it at tens of thousands of pixels per face, so a
// tileable fractal tile is baked once and every lookup is one bilinear fetch.

import { Rng } from './rng.ts';

const TILE_BITS = 8;
const TILE_SIZE = 1 << TILE_BITS;
const TILE_MASK = TILE_SIZE - 1;

const tile = bakeFractalTile(new Rng('face-noise-tile'));

/** Fractal noise in [0, 1], period 256 in both directions; one unit is one tile texel (the finest octave spans 4). */
export function noise(x: number, y: number): number {
  const xi = Math.floor(x), yi = Math.floor(y);
  const fx = x - xi, fy = y - yi;
  const x0 = xi & TILE_MASK, x1 = (xi + 1) & TILE_MASK;
  const row0 = (yi & TILE_MASK) << TILE_BITS, row1 = ((yi + 1) & TILE_MASK) << TILE_BITS;
  const a = tile[row0 + x0], b = tile[row0 + x1], c = tile[row1 + x0], d = tile[row1 + x1];
  return a + (b - a) * fx + (c - a + (a - b - c + d) * fx) * fy;
}

function bakeFractalTile(rng: Rng): Float32Array {
  const out = new Float32Array(TILE_SIZE * TILE_SIZE);
  let amplitude = 1, total = 0;
  for (let period = 32; period >= 2; period >>= 1) {
    const cells = TILE_SIZE / period;
    const lattice = new Float32Array(cells * cells);
    for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
    for (let y = 0; y < TILE_SIZE; y++) {
      const cy = Math.floor(y / period), ty = smooth((y % period) / period);
      const cy1 = (cy + 1) % cells;
      for (let x = 0; x < TILE_SIZE; x++) {
        const cx = Math.floor(x / period), tx = smooth((x % period) / period);
        const cx1 = (cx + 1) % cells;
        const top = lattice[cy * cells + cx] + (lattice[cy * cells + cx1] - lattice[cy * cells + cx]) * tx;
        const bottom = lattice[cy1 * cells + cx] + (lattice[cy1 * cells + cx1] - lattice[cy1 * cells + cx]) * tx;
        out[y * TILE_SIZE + x] += amplitude * (top + (bottom - top) * ty);
      }
    }
    total += amplitude;
    amplitude *= 0.55;
  }
  normalise(out, total);
  return out;
}

// Summed octaves bunch up around the middle; stretching to [0, 1] makes
// thresholds on the noise (ragged hair edges, stubble) behave predictably.
function normalise(values: Float32Array, total: number): void {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] / total;
    values[i] = v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - lo) / (hi - lo);
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}
