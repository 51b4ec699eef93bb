// Per-face constants derived once from an identity and a nuisance, so the
// per-pixel layers only do arithmetic on numbers that are already in place.
//
// Yaw and pitch are faked the way they look after 5-point alignment: the
// landmarks stay near the template and everything else slides by its depth
// (the nose tip one way, the head outline and ears the other).

import { ARCFACE_LANDMARKS_112, type FaceIdentity, type FaceNuisance } from './face-traits.ts';

export interface HeadGeometry {
  cx: number;
  cy: number;
  halfWidth: number;
  /** Half-heights above and below the centre. */
  top: number;
  bottom: number;
  taper: number;
  squareness: number;
  /** Reciprocals of the sizes above: the distance is evaluated at every head pixel. */
  invHalfWidth: number;
  invTop: number;
  invBottom: number;
}

export interface EyeGeometry {
  cx: number;
  cy: number;
  /** +1 when the outer corner is towards +u (the right eye in the image), -1 otherwise. */
  outward: 1 | -1;
  halfWidth: number;
  upper: number;
  lower: number;
  tilt: number;
  irisX: number;
  irisY: number;
  highlightX: number;
  highlightY: number;
}

export interface LightSetup {
  x: number;
  y: number;
  z: number;
  /** Blinn half-vector for a camera looking down -z. */
  halfX: number;
  halfY: number;
  halfZ: number;
  intensity: number;
  ambient: number;
  /** Scales shading so a front-facing surface gets the nuisance's exposure. */
  gain: number;
  specular: number;
}

/** Smooth height bumps on the face (nose, cheekbones, sockets...): cx, cy, 1/rx^2, 1/ry^2, height, occlusion. */
export const BUMP_STRIDE = 6;

export interface FaceScene {
  identity: FaceIdentity;
  nuisance: FaceNuisance;
  head: HeadGeometry;
  eyes: [EyeGeometry, EyeGeometry];
  noseX: number;
  noseTipY: number;
  mouthX: number;
  mouthY: number;
  mouthHalfWidth: number;
  earY: number;
  earShift: number;
  light: LightSetup;
  bumps: Float64Array;
}

// Depths (template units towards the camera) of the parts that slide with yaw and pitch.
const LANDMARK_DEPTH = 26;
const DEPTH = { outline: 0, ear: -8, eye: 22, brow: 26, noseTip: 42, mouth: 30 };

export function buildScene(identity: FaceIdentity, nuisance: FaceNuisance): FaceScene {
  const yawSlide = Math.sin((nuisance.yaw * Math.PI) / 180);
  const pitchSlide = Math.sin((nuisance.pitch * Math.PI) / 180);
  const slideU = (depth: number) => yawSlide * (depth - LANDMARK_DEPTH);
  const slideV = (depth: number) => pitchSlide * (depth - LANDMARK_DEPTH);

  const [leftEye, rightEye, noseTip, leftMouth, rightMouth] = ARCFACE_LANDMARKS_112;
  const midU = (leftEye[0] + rightEye[0]) / 2;
  const halfWidth = 40 * identity.faceWidth, top = 68 * identity.faceLength, bottom = 51 * identity.faceLength;
  const head: HeadGeometry = {
    cx: midU + slideU(DEPTH.outline),
    cy: 58 + slideV(DEPTH.outline),
    halfWidth,
    top,
    bottom,
    taper: identity.jawTaper,
    squareness: identity.jawSquareness,
    invHalfWidth: 1 / halfWidth,
    invTop: 1 / top,
    invBottom: 1 / bottom,
  };

  const eyes = [leftEye, rightEye].map((p, side): EyeGeometry => {
    const outward = side === 0 ? -1 : 1;
    const cx = p[0] + slideU(DEPTH.eye) + outward * identity.eyeSpacingOffset * 0.5;
    const cy = p[1] + slideV(DEPTH.eye);
    const irisX = cx + nuisance.gaze[0];
    const irisY = cy + nuisance.gaze[1];
    const [lx, ly] = nuisance.lightDirection;
    return {
      cx,
      cy,
      outward,
      halfWidth: identity.eyeHalfWidth,
      upper: identity.eyeUpperHeight * nuisance.eyeOpen,
      lower: identity.eyeLowerHeight * (1 - 0.25 * Math.max(0, nuisance.smile)),
      tilt: identity.eyeTilt,
      irisX,
      irisY,
      // The catchlight sits on the rim of the pupil, towards the light.
      highlightX: irisX + identity.irisRadius * (0.35 * lx - 0.35),
      highlightY: irisY + identity.irisRadius * (0.35 * ly - 0.4),
    };
  }) as [EyeGeometry, EyeGeometry];

  const noseX = noseTip[0] + slideU(DEPTH.noseTip);
  const noseTipY = noseTip[1] + identity.noseLengthOffset + slideV(DEPTH.noseTip);
  const mouthX = (leftMouth[0] + rightMouth[0]) / 2 + slideU(DEPTH.mouth);
  const mouthY = (leftMouth[1] + rightMouth[1]) / 2 + identity.mouthOffsetY + slideV(DEPTH.mouth);
  const mouthHalfWidth = ((rightMouth[0] - leftMouth[0]) / 2) * identity.mouthWidth * (1 + 0.08 * nuisance.smile);

  const scene: FaceScene = {
    identity,
    nuisance,
    head,
    eyes,
    noseX,
    noseTipY,
    mouthX,
    mouthY,
    mouthHalfWidth,
    earY: (leftEye[1] + noseTip[1]) / 2 + identity.earOffsetY + slideV(DEPTH.ear),
    earShift: slideU(DEPTH.ear) - slideU(DEPTH.outline),
    light: buildLight(nuisance),
    bumps: new Float64Array(0),
  };
  scene.bumps = buildBumps(scene);
  return scene;
}

function buildLight(nuisance: FaceNuisance): LightSetup {
  let [x, y, z] = nuisance.lightDirection;
  const n = Math.hypot(x, y, z);
  x /= n; y /= n; z /= n;
  const hn = Math.hypot(x, y, z + 1);
  return {
    x, y, z,
    halfX: x / hn, halfY: y / hn, halfZ: (z + 1) / hn,
    intensity: nuisance.lightIntensity,
    ambient: nuisance.ambient,
    gain: nuisance.exposure / (nuisance.ambient + nuisance.lightIntensity * z),
    specular: nuisance.specular,
  };
}

function buildBumps(scene: FaceScene): Float64Array {
  const { identity, head, eyes, noseX, noseTipY, mouthX, mouthY, mouthHalfWidth } = scene;
  const eyeY = (eyes[0].cy + eyes[1].cy) / 2;
  const prominence = identity.noseProminence;
  const cheek = identity.cheekboneProminence;
  const chinY = head.cy + head.bottom;
  const bumps: number[] = [];
  const add = (cx: number, cy: number, rx: number, ry: number, height: number, occlusion: number) =>
    bumps.push(cx, cy, 1 / (rx * rx), 1 / (ry * ry), height, occlusion);

  add(head.cx, eyeY - 30, 32, 24, 4, 0); // forehead dome
  add(noseX, (eyeY + noseTipY) / 2 + 1, identity.noseBridgeWidth, (noseTipY - eyeY) / 2 + 4, 2.2 * prominence, 0);
  add(noseX, noseTipY - 1.5, 4, 3.8, 2.2 * prominence, 0);
  add(noseX, noseTipY + 4.2, identity.noseWidth, 2, -0.6, 0.3); // shadow under the nose
  add(mouthX, (noseTipY + mouthY) / 2 + 1, 1.8, 4, -0.3, 0.02); // philtrum
  add(mouthX, mouthY, mouthHalfWidth + 4, 7, 1.5, 0);
  add(mouthX, mouthY + 7, mouthHalfWidth * 0.6, 2.6, -1.0, 0.15); // groove under the lower lip
  add(head.cx, chinY - 8, 11, 8, 2.5, 0);
  for (const eye of eyes) {
    const o = eye.outward;
    add(noseX + o * identity.noseWidth * 0.85, noseTipY + 0.4, 3.3, 3.2, 1.4 * prominence, 0.05); // nose wings
    add(eye.cx, eye.cy - 0.5, 10, 6.5, -2.6, 0.22); // eye socket
    add(eye.cx + o * 1, eye.cy - identity.browHeight - 1.5, 11, 4.5, 1.4, 0); // brow ridge
    add(eye.cx + o * 4, eye.cy + 15, 13, 10, 1.5 * cheek, 0); // cheekbone
    add(head.cx + o * head.halfWidth * 0.86, eyeY - 9, 6, 10, -1.5, 0.05); // temple
  }
  return Float64Array.from(bumps);
}

/**
 * Approximate signed distance to the head outline (negative inside), plus the
 * normalised coordinates the skin shading needs. Written into `out` to avoid
 * allocating per pixel: [distance, x, y] where x, y are in [-1, 1] across the head.
 */
export function headDistance(head: HeadGeometry, u: number, v: number, out: Float64Array): void {
  const x = (u - head.cx) * head.invHalfWidth;
  const dv = v - head.cy;
  if (dv < 0) {
    // A skull is broader on top than an ellipse: part quartic.
    const y = dv * head.invTop;
    const y2 = y * y;
    const f = x * x + 0.65 * y2 + 0.35 * y2 * y2 - 1;
    const gx = 2 * x * head.invHalfWidth, gy = (1.3 * y + 1.4 * y2 * y) * head.invTop;
    out[0] = f / (Math.sqrt(gx * gx + gy * gy) + 1e-6);
    out[1] = x;
    out[2] = y;
    return;
  }
  // Below the centre the outline squares off (jaw) and narrows towards the chin.
  const y = dv * head.invBottom;
  const y2 = y * y;
  const narrowing = 1 - head.taper * y2;
  const xe = x / narrowing;
  const sq = head.squareness;
  const f = xe * xe + (1 - sq) * y2 + sq * y2 * y2 - 1;
  const gx = (2 * xe * head.invHalfWidth) / narrowing;
  const gy = (2 * (1 - sq) * y + 4 * sq * y2 * y) * head.invBottom;
  out[0] = f / (Math.sqrt(gx * gx + gy * gy) + 1e-6);
  out[1] = xe;
  out[2] = y;
}
