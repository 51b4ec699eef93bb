// How a model wants its image input: per-channel mean and std in 0..255 pixel
// units, channel order and layout. Generators render 8-bit RGB; this turns it
// into the model's own input so calibration sees what deployment will feed.

import { UserError } from '../../compiler/errors.ts';

export interface Preprocessing {
  mean: [number, number, number];
  std: [number, number, number];
  channelOrder: 'rgb' | 'bgr';
  layout: 'nchw' | 'nhwc';
}

export const PRESETS: Record<string, Preprocessing> = {
  // insightface / ArcFace / QuantFace: (x - 127.5) / 127.5, RGB, NCHW.
  arcface: { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5], channelOrder: 'rgb', layout: 'nchw' },
  imagenet: { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], channelOrder: 'rgb', layout: 'nchw' },
  // Pixels scaled to 0..1.
  unit: { mean: [0, 0, 0], std: [255, 255, 255], channelOrder: 'rgb', layout: 'nchw' },
  // Pixels as they are, 0..255.
  raw: { mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb', layout: 'nchw' },
};

export interface PreprocessingFlags {
  preset?: string;
  mean?: string;
  std?: string;
  channelOrder?: string;
  layout?: string;
}

export function parsePreprocessing(flags: PreprocessingFlags): Preprocessing {
  const preset = flags.preset ?? 'arcface';
  const base = PRESETS[preset];
  if (!base) throw new UserError(`unknown preprocessing preset '${preset}'; known: ${Object.keys(PRESETS).join(', ')}`);
  const out: Preprocessing = { ...base, mean: [...base.mean], std: [...base.std] };
  if (flags.mean !== undefined) out.mean = triple('--mean', flags.mean);
  if (flags.std !== undefined) out.std = triple('--std', flags.std);
  if (out.std.some((s) => s === 0)) throw new UserError('--std must not be 0');
  if (flags.channelOrder !== undefined) {
    if (flags.channelOrder !== 'rgb' && flags.channelOrder !== 'bgr') throw new UserError(`--channel-order must be rgb or bgr, got '${flags.channelOrder}'`);
    out.channelOrder = flags.channelOrder;
  }
  if (flags.layout !== undefined) {
    if (flags.layout !== 'nchw' && flags.layout !== 'nhwc') throw new UserError(`--layout must be nchw or nhwc, got '${flags.layout}'`);
    out.layout = flags.layout;
  }
  return out;
}

function triple(flag: string, text: string): [number, number, number] {
  // Number('') is 0: an empty entry must not pass as a zero.
  const parts = text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s.trim())));
  if (parts.some((p) => !Number.isFinite(p)) || (parts.length !== 1 && parts.length !== 3)) {
    throw new UserError(`${flag} takes one number or three comma-separated numbers, got '${text}'`);
  }
  return parts.length === 1 ? [parts[0], parts[0], parts[0]] : [parts[0], parts[1], parts[2]];
}

/** Image size and channel count a sample must have, read from the model input's shape. */
export interface ImageInputShape {
  channels: number;
  height: number;
  width: number;
}

export function imageShapeOf(dims: readonly number[], pre: Preprocessing, inputName: string): ImageInputShape {
  if (dims.length !== 4) throw new UserError(`input '${inputName}' has shape [${dims.join(', ')}]; image generators need a 4-D image input (N, C, H, W or N, H, W, C)`);
  const [channels, height, width] = pre.layout === 'nchw' ? [dims[1], dims[2], dims[3]] : [dims[3], dims[1], dims[2]];
  if (channels !== 3 && channels !== 1) {
    throw new UserError(`input '${inputName}' has shape [${dims.join(', ')}], which is not a ${pre.layout.toUpperCase()} image with 1 or 3 channels: check --layout`);
  }
  return { channels, height, width };
}

/** 8-bit interleaved RGB (width x height) -> one sample in the model's layout, written at `out[offset..]`. */
export function rgbToModelInput(rgb: ArrayLike<number>, shape: ImageInputShape, pre: Preprocessing, out: Float32Array, offset = 0): void {
  const { width, height, channels } = shape;
  const plane = width * height;
  const order = pre.channelOrder === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let p = 0; p < plane; p++) {
    const r = rgb[3 * p], g = rgb[3 * p + 1], b = rgb[3 * p + 2];
    if (channels === 1) {
      // Grey models: luminance (ITU-R BT.601), normalised with the first channel's statistics.
      const y = 0.299 * r + 0.587 * g + 0.114 * b;
      out[offset + p] = (y - pre.mean[0]) / pre.std[0];
      continue;
    }
    const px = [r, g, b];
    for (let c = 0; c < 3; c++) {
      const v = (px[order[c]] - pre.mean[c]) / pre.std[c];
      if (pre.layout === 'nchw') out[offset + c * plane + p] = v;
      else out[offset + 3 * p + c] = v;
    }
  }
}

/** Bilinear resize of interleaved RGB. */
export function resizeRgb(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(dw * dh * 3);
  if (sw === dw && sh === dh) {
    out.set(src as ArrayLike<number>);
    return out;
  }
  const sx = sw / dw, sy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(sh - 1, Math.floor(fy)), y1 = Math.min(sh - 1, y0 + 1), wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(sw - 1, Math.floor(fx)), x1 = Math.min(sw - 1, x0 + 1), wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = src[(y0 * sw + x0) * 3 + c], b = src[(y0 * sw + x1) * 3 + c];
        const d = src[(y1 * sw + x0) * 3 + c], e = src[(y1 * sw + x1) * 3 + c];
        out[(y * dw + x) * 3 + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
    }
  }
  return out;
}
