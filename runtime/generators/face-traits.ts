// What a synthetic face is made of, and how to draw one at random.
//
// FaceIdentity holds everything that makes a person recognisable; FaceNuisance
// holds everything that changes between two photos of the same person. The
// split is what lets the renderer produce identity-consistent sets for
// calibration. Lengths are in ArcFace template units (the 112x112 aligned
// crop), colours are sRGB triples in [0, 1].

import { Rng } from './rng.ts';

export type Rgb = readonly [number, number, number];
export type Point = readonly [number, number];

/** The five-point ArcFace alignment template: left eye, right eye, nose tip, left and right mouth corners. */
export const ARCFACE_LANDMARKS_112: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

export type HairStyle = 'bald' | 'buzz' | 'short' | 'fringe' | 'long' | 'curly';
export type FacialHair = 'none' | 'stubble' | 'moustache' | 'goatee' | 'beard';

export interface Glasses {
  frameColor: Rgb;
  frameThickness: number;
  /** Half-size of one lens. */
  lensHalfWidth: number;
  lensHalfHeight: number;
  /** 0 gives rectangular lenses, 1 gives round ones. */
  roundness: number;
  tint: Rgb;
  /** How much of the eye the tint hides: near 0 for clear lenses, up to ~0.8 for sunglasses. */
  tintOpacity: number;
}

export interface FaceIdentity {
  /** Multiplies the half-width of the head. */
  faceWidth: number;
  /** Multiplies the height of the head. */
  faceLength: number;
  /** How much the jaw narrows towards the chin: small is broad, large is a V-shaped chin. */
  jawTaper: number;
  /** 0 gives an oval lower face, 1 a square one. */
  jawSquareness: number;
  cheekboneProminence: number;
  skinTone: Rgb;
  blush: number;
  /** Seed offset into the skin-texture noise, so two people do not share pores. */
  skinTextureOffset: Point;
  skinTextureAmount: number;
  /** Shape offsets relative to the template landmarks (alignment pins the landmarks, not the shapes around them). */
  eyeSpacingOffset: number;
  eyeHalfWidth: number;
  eyeUpperHeight: number;
  eyeLowerHeight: number;
  /** Canthal tilt: positive raises the outer corners. */
  eyeTilt: number;
  irisRadius: number;
  irisColor: Rgb;
  lashThickness: number;
  browColor: Rgb;
  browThickness: number;
  browArch: number;
  /** Distance from the eye centre up to the brow. */
  browHeight: number;
  browLength: number;
  noseLengthOffset: number;
  noseWidth: number;
  noseBridgeWidth: number;
  noseProminence: number;
  mouthWidth: number;
  mouthOffsetY: number;
  upperLipThickness: number;
  lowerLipThickness: number;
  lipColor: Rgb;
  hairStyle: HairStyle;
  hairColor: Rgb;
  /** Height of the hairline's middle above the eyes. */
  hairlineAboveEyes: number;
  /** Where the hair parts, -1 (image left) to 1 (image right): the hairline rises towards it. */
  hairPart: number;
  hairVolume: number;
  facialHair: FacialHair;
  facialHairColor: Rgb;
  facialHairDensity: number;
  glasses: Glasses | null;
  earSize: number;
  earOffsetY: number;
}

export type BackgroundKind = 'flat' | 'gradient' | 'noise' | 'shapes';

export interface BlurredShape {
  center: Point;
  radius: number;
  softness: number;
  color: Rgb;
}

export interface Background {
  kind: BackgroundKind;
  colorA: Rgb;
  colorB: Rgb;
  /** Gradient direction in radians. */
  angle: number;
  noiseScale: number;
  shapes: BlurredShape[];
}

export type OccluderKind = 'hand' | 'scarf' | 'brim';

export interface Occluder {
  kind: OccluderKind;
  color: Rgb;
  /** Where along its range the occluder sits, 0..1; its meaning depends on the kind. */
  position: number;
  /** Which side a hand comes from. */
  side: -1 | 1;
}

export interface FaceNuisance {
  /** Head pose in degrees, small as after 5-point alignment. */
  yaw: number;
  pitch: number;
  roll: number;
  scale: number;
  /** Translation in template units. */
  shift: Point;
  /** Gaze offset of both irises in template units. */
  gaze: Point;
  /** Unit-ish vector towards the light (x right, y down, z towards the camera). */
  lightDirection: readonly [number, number, number];
  lightIntensity: number;
  ambient: number;
  /** Negative is cool (blue), positive is warm (orange). */
  colorTemperature: number;
  exposure: number;
  specular: number;
  mouthOpen: number;
  smile: number;
  eyeOpen: number;
  background: Background;
  clothingColor: Rgb;
  /** Standard deviation of per-pixel sensor noise, in [0, 1] intensity units. */
  noise: number;
  noiseSeed: number;
  /** Weight of the side taps in a 3-tap blur, 0..0.25. */
  blur: number;
  gamma: number;
  contrast: number;
  saturation: number;
  occluder: Occluder | null;
}

// Anchors from very light to very dark skin as it looks in ordinary photos.
const SKIN_TONES: Rgb[] = [
  [0.96, 0.81, 0.71],
  [0.93, 0.75, 0.63],
  [0.87, 0.68, 0.54],
  [0.78, 0.57, 0.42],
  [0.66, 0.45, 0.31],
  [0.53, 0.35, 0.23],
  [0.40, 0.26, 0.17],
  [0.28, 0.18, 0.12],
];

const HAIR_COLORS: { color: Rgb; lightSkinWeight: number; darkSkinWeight: number }[] = [
  { color: [0.05, 0.04, 0.04], lightSkinWeight: 2, darkSkinWeight: 6 },
  { color: [0.15, 0.10, 0.07], lightSkinWeight: 3, darkSkinWeight: 3 },
  { color: [0.30, 0.19, 0.11], lightSkinWeight: 3, darkSkinWeight: 1 },
  { color: [0.50, 0.35, 0.21], lightSkinWeight: 2, darkSkinWeight: 0.2 },
  { color: [0.80, 0.66, 0.43], lightSkinWeight: 1.5, darkSkinWeight: 0.1 },
  { color: [0.55, 0.23, 0.10], lightSkinWeight: 0.8, darkSkinWeight: 0.1 },
  { color: [0.55, 0.54, 0.52], lightSkinWeight: 0.8, darkSkinWeight: 0.6 },
  { color: [0.85, 0.84, 0.81], lightSkinWeight: 0.4, darkSkinWeight: 0.3 },
];

const IRIS_COLORS: { color: Rgb; lightSkinWeight: number }[] = [
  { color: [0.20, 0.12, 0.07], lightSkinWeight: 2 },
  { color: [0.36, 0.21, 0.10], lightSkinWeight: 2 },
  { color: [0.45, 0.38, 0.20], lightSkinWeight: 1 },
  { color: [0.30, 0.45, 0.30], lightSkinWeight: 1 },
  { color: [0.28, 0.40, 0.56], lightSkinWeight: 1.5 },
  { color: [0.40, 0.44, 0.48], lightSkinWeight: 0.7 },
];

const HAIR_STYLES: { style: HairStyle; weight: number }[] = [
  { style: 'short', weight: 3 },
  { style: 'long', weight: 2.5 },
  { style: 'fringe', weight: 1.5 },
  { style: 'curly', weight: 1.5 },
  { style: 'buzz', weight: 1 },
  { style: 'bald', weight: 0.8 },
];

export function sampleIdentity(rng: Rng): FaceIdentity {
  const darkness = rng.next();
  const skinTone = jitterColor(rng, lerpPalette(SKIN_TONES, darkness), 0.03);
  const hairColor = pickWeighted(rng, HAIR_COLORS, (h) => lerp(h.lightSkinWeight, h.darkSkinWeight, darkness)).color;
  // Light irises become rare as skin darkens, where dark brown dominates.
  const irisColor = pickWeighted(rng, IRIS_COLORS, (c) => c.lightSkinWeight * Math.max(0.02, 1 - darkness * 1.3) + (c === IRIS_COLORS[0] ? darkness * 4 : 0)).color;
  const hairStyle = pickWeighted(rng, HAIR_STYLES, (h) => h.weight).style;
  const facialHair = sampleFacialHair(rng, hairStyle);
  const browColor = hairColor[0] > 0.7
    ? scaleColor(hairColor, rng.uniform(0.55, 0.8))
    : scaleColor(hairColor, rng.uniform(0.7, 0.95));
  const lipColor: Rgb = [
    skinTone[0] * rng.uniform(0.78, 0.9),
    skinTone[1] * rng.uniform(0.5, 0.62),
    skinTone[2] * rng.uniform(0.55, 0.7),
  ];
  return {
    faceWidth: rng.uniform(0.92, 1.08),
    faceLength: rng.uniform(0.94, 1.06),
    jawTaper: rng.uniform(0.1, 0.45),
    jawSquareness: rng.uniform(0, 0.8),
    cheekboneProminence: rng.uniform(0.2, 1),
    skinTone,
    blush: rng.uniform(0, 1),
    skinTextureOffset: [rng.uniform(0, 256), rng.uniform(0, 256)],
    skinTextureAmount: rng.uniform(0.02, 0.06),
    eyeSpacingOffset: rng.uniform(-1.2, 1.2),
    eyeHalfWidth: rng.uniform(6.8, 8.4),
    eyeUpperHeight: rng.uniform(2.8, 4.0),
    eyeLowerHeight: rng.uniform(1.8, 2.6),
    eyeTilt: rng.uniform(-0.08, 0.14),
    irisRadius: rng.uniform(3.1, 3.6),
    irisColor,
    lashThickness: rng.uniform(0.5, 1.2),
    browColor,
    browThickness: rng.uniform(1.4, 3.2),
    browArch: rng.uniform(0.5, 3.0),
    browHeight: rng.uniform(7.5, 10.5),
    browLength: rng.uniform(0.9, 1.15),
    noseLengthOffset: rng.uniform(-1.5, 1.5),
    noseWidth: rng.uniform(4.8, 7.5),
    noseBridgeWidth: rng.uniform(4, 6),
    noseProminence: rng.uniform(0.6, 1.2),
    mouthWidth: rng.uniform(0.82, 1.0),
    mouthOffsetY: rng.uniform(-1.2, 1.2),
    upperLipThickness: rng.uniform(2.2, 3.8),
    lowerLipThickness: rng.uniform(2.8, 4.8),
    lipColor,
    hairStyle,
    hairColor,
    hairlineAboveEyes: hairStyle === 'fringe' ? rng.uniform(14, 18) : rng.uniform(30, 40),
    hairPart: rng.uniform(-1, 1),
    hairVolume: hairStyle === 'curly' ? rng.uniform(7, 13) : rng.uniform(2, 6),
    facialHair,
    facialHairColor: rng.next() < 0.15 ? [0.6, 0.59, 0.57] : scaleColor(hairColor, rng.uniform(0.8, 1.0)),
    facialHairDensity: rng.uniform(0.6, 1),
    glasses: rng.next() < 0.28 ? sampleGlasses(rng) : null,
    earSize: rng.uniform(0.85, 1.15),
    earOffsetY: rng.uniform(-2, 2),
  };
}

function sampleFacialHair(rng: Rng, hairStyle: HairStyle): FacialHair {
  if (hairStyle === 'long' && rng.next() < 0.8) return 'none';
  const r = rng.next();
  if (r < 0.62) return 'none';
  if (r < 0.74) return 'stubble';
  if (r < 0.82) return 'moustache';
  if (r < 0.89) return 'goatee';
  return 'beard';
}

function sampleGlasses(rng: Rng): Glasses {
  const sunglasses = rng.next() < 0.25;
  const frameColor: Rgb = rng.pick<Rgb>([
    [0.05, 0.05, 0.05], [0.2, 0.12, 0.07], [0.55, 0.5, 0.42], [0.7, 0.7, 0.72], [0.45, 0.08, 0.08], [0.1, 0.15, 0.35],
  ]);
  return {
    frameColor,
    frameThickness: rng.uniform(0.7, 2.2),
    lensHalfWidth: rng.uniform(10.5, 13),
    lensHalfHeight: rng.uniform(8, 10.5),
    roundness: rng.next(),
    tint: sunglasses ? rng.pick<Rgb>([[0.05, 0.05, 0.05], [0.15, 0.1, 0.05], [0.05, 0.1, 0.08]]) : [0.75, 0.8, 0.85],
    tintOpacity: sunglasses ? rng.uniform(0.5, 0.8) : rng.uniform(0.03, 0.12),
  };
}

/** The nuisance of a perfectly aligned, evenly lit, neutral studio photo: no jitter at all. */
export function neutralNuisance(): FaceNuisance {
  return {
    yaw: 0, pitch: 0, roll: 0, scale: 1, shift: [0, 0], gaze: [0, 0],
    lightDirection: [-0.3, -0.4, 0.87], lightIntensity: 0.7, ambient: 0.35,
    colorTemperature: 0, exposure: 1, specular: 0.15,
    mouthOpen: 0, smile: 0.2, eyeOpen: 1,
    background: { kind: 'flat', colorA: [0.75, 0.77, 0.8], colorB: [0.75, 0.77, 0.8], angle: 0, noiseScale: 0.1, shapes: [] },
    clothingColor: [0.25, 0.3, 0.4],
    noise: 0, noiseSeed: 1, blur: 0, gamma: 1, contrast: 1, saturation: 1,
    occluder: null,
  };
}

export function sampleNuisance(rng: Rng): FaceNuisance {
  const azimuth = rng.uniform(-1.2, 1.2);
  const elevation = rng.uniform(-0.2, 0.9);
  const spread = rng.uniform(0.25, 0.75);
  const lx = Math.sin(azimuth) * spread, ly = -Math.sin(elevation) * spread;
  const lz = Math.sqrt(Math.max(0.05, 1 - lx * lx - ly * ly));
  const smiling = rng.next() < 0.45;
  return {
    yaw: clamp(rng.normal(0, 3), -7, 7),
    pitch: clamp(rng.normal(0, 3), -7, 7),
    roll: clamp(rng.normal(0, 1.5), -4, 4),
    scale: rng.uniform(0.95, 1.05),
    shift: [rng.uniform(-2, 2), rng.uniform(-2, 2)],
    gaze: [rng.uniform(-0.6, 0.6), rng.uniform(-0.4, 0.4)],
    lightDirection: [lx, ly, lz],
    lightIntensity: rng.uniform(0.5, 0.95),
    ambient: rng.uniform(0.2, 0.5),
    colorTemperature: rng.uniform(-1, 1),
    exposure: rng.uniform(0.85, 1.12),
    specular: rng.uniform(0, 0.3),
    mouthOpen: rng.next() < 0.25 ? rng.uniform(0.2, 1) : 0,
    smile: smiling ? rng.uniform(0.4, 1) : rng.uniform(-0.2, 0.3),
    eyeOpen: rng.next() < 0.05 ? rng.uniform(0.1, 0.4) : rng.uniform(0.75, 1.1),
    background: sampleBackground(rng),
    clothingColor: randomColor(rng, 0.1, 0.8, 0.1, 0.75),
    noise: rng.next() < 0.3 ? 0 : rng.uniform(0.005, 0.035),
    noiseSeed: rng.int(2 ** 31),
    blur: rng.next() < 0.5 ? 0 : rng.uniform(0.05, 0.25),
    gamma: rng.uniform(0.85, 1.15),
    contrast: rng.uniform(0.85, 1.15),
    saturation: rng.uniform(0.8, 1.15),
    occluder: rng.next() < 0.08 ? sampleOccluder(rng) : null,
  };
}

function sampleBackground(rng: Rng): Background {
  const kind = rng.pick<BackgroundKind>(['flat', 'gradient', 'noise', 'shapes']);
  const colorA = randomColor(rng, 0, 0.5, 0.15, 0.9);
  const colorB = rng.next() < 0.5 ? randomColor(rng, 0, 0.5, 0.1, 0.9) : scaleColor(colorA, rng.uniform(0.4, 0.8));
  const shapes: BlurredShape[] = [];
  if (kind === 'shapes') {
    const count = 2 + rng.int(5);
    for (let i = 0; i < count; i++) {
      shapes.push({
        center: [rng.uniform(-10, 122), rng.uniform(-10, 122)],
        radius: rng.uniform(8, 35),
        softness: rng.uniform(3, 15),
        color: randomColor(rng, 0, 0.7, 0.1, 0.95),
      });
    }
  }
  return { kind, colorA, colorB, angle: rng.uniform(0, 2 * Math.PI), noiseScale: rng.uniform(0.04, 0.5), shapes };
}

function sampleOccluder(rng: Rng): Occluder {
  const kind = rng.pick<OccluderKind>(['hand', 'scarf', 'brim']);
  return {
    kind,
    color: randomColor(rng, 0.1, 0.8, 0.08, 0.7),
    position: rng.next(),
    side: rng.next() < 0.5 ? -1 : 1,
  };
}

function randomColor(rng: Rng, satLo: number, satHi: number, valLo: number, valHi: number): Rgb {
  return hsvToRgb(rng.next(), rng.uniform(satLo, satHi), rng.uniform(valLo, valHi));
}

function hsvToRgb(h: number, s: number, v: number): Rgb {
  const k = (n: number) => (n + h * 6) % 6;
  const f = (n: number) => v - v * s * Math.max(0, Math.min(k(n), 4 - k(n), 1));
  return [f(5), f(3), f(1)];
}

function lerpPalette(palette: readonly Rgb[], t: number): Rgb {
  const x = t * (palette.length - 1);
  const i = Math.min(palette.length - 2, Math.floor(x));
  const f = x - i;
  return [lerp(palette[i][0], palette[i + 1][0], f), lerp(palette[i][1], palette[i + 1][1], f), lerp(palette[i][2], palette[i + 1][2], f)];
}

function jitterColor(rng: Rng, c: Rgb, amount: number): Rgb {
  return [c[0] * (1 + rng.uniform(-amount, amount)), c[1] * (1 + rng.uniform(-amount, amount)), c[2] * (1 + rng.uniform(-amount, amount))];
}

function scaleColor(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k];
}

function pickWeighted<T>(rng: Rng, items: readonly T[], weight: (item: T) => number): T {
  let total = 0;
  for (const item of items) total += weight(item);
  let r = rng.next() * total;
  for (const item of items) {
    r -= weight(item);
    if (r < 0) return item;
  }
  return items[items.length - 1];
}

function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
