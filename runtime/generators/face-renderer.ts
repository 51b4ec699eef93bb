// Procedural, ArcFace-aligned face portraits for calibrating quantized face
// models (QuantFace: crude synthetic faces calibrate about as well as real
// photos, noise does not). A face is drawn as a stack of layers, back to
// front, into a float canvas, then "photographed" to 8-bit RGB.

import { FaceCanvas } from './face-canvas.ts';
import { buildScene, type FaceScene } from './face-scene.ts';
import { paintBody, paintEars, paintHeadSkin, paintNeck } from './face-skin.ts';
import { paintBrows, paintEyes, paintMouth, paintNostrils } from './face-features.ts';
import { paintBackHair, paintFacialHair, paintScalpHair } from './face-hair.ts';
import { paintGlasses, paintOccluder } from './face-accessories.ts';
import { developPhoto, paintBackground } from './face-photo.ts';
import type { FaceIdentity, FaceNuisance } from './face-traits.ts';

export {
  ARCFACE_LANDMARKS_112,
  neutralNuisance,
  sampleIdentity,
  sampleNuisance,
  type FaceIdentity,
  type FaceNuisance,
} from './face-traits.ts';

type Layer = (canvas: FaceCanvas, scene: FaceScene) => void;

const LAYERS: Layer[] = [
  (canvas, scene) => paintBackground(canvas, scene.nuisance),
  paintBackHair,
  paintNeck,
  paintBody,
  paintEars,
  paintHeadSkin,
  paintEyes,
  paintBrows,
  paintNostrils,
  paintMouth,
  paintFacialHair,
  paintScalpHair,
  paintGlasses,
  paintOccluder,
];

// Calibration renders thousands of faces of one size; reusing the float
// buffers keeps the garbage collector out of the per-face budget.
let cachedCanvas: FaceCanvas | null = null;

function canvasFor(width: number, height: number): FaceCanvas {
  if (!cachedCanvas || cachedCanvas.width !== width || cachedCanvas.height !== height) {
    cachedCanvas = new FaceCanvas(width, height);
  }
  return cachedCanvas;
}

/**
 * Renders one face as interleaved RGB (HWC, 3 bytes per pixel). The five
 * landmarks follow the ArcFace 112x112 template, scaled by the smaller side and
 * centred, before the nuisance's pose jitter. Deterministic in its arguments.
 */
export function renderFace(
  identity: FaceIdentity,
  nuisance: FaceNuisance,
  width: number,
  height: number,
  out?: Uint8ClampedArray,
): Uint8ClampedArray {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`renderFace: size must be positive integers, got ${width}x${height}`);
  }
  const length = width * height * 3;
  if (out && out.length !== length) {
    throw new RangeError(`renderFace: output holds ${out.length} bytes, ${width}x${height} RGB needs ${length}`);
  }
  const canvas = canvasFor(width, height);
  canvas.setPose(nuisance.roll, nuisance.scale, nuisance.shift[0], nuisance.shift[1]);
  const scene = buildScene(identity, nuisance);
  for (const paint of LAYERS) paint(canvas, scene);
  const target = out ?? new Uint8ClampedArray(length);
  developPhoto(canvas, nuisance, target);
  return target;
}
