// Real images from a folder (PNG or JPEG), resized to the model input: for
// comparing synthetic calibration with real data. Unreadable files are skipped
// with a warning and counted; a folder with no readable image is an error.

import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { UserError } from '../../compiler/errors.ts';
import type { Logger } from '../../compiler/logger.ts';
import { decodePngToRgb } from './png.ts';
import type { InputGenerator } from './input-generator.ts';
import { ImageInputShape, Preprocessing, resizeRgb, rgbToModelInput } from './preprocessing.ts';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export interface DecodedImage {
  width: number;
  height: number;
  /** Interleaved RGB. */
  data: Uint8ClampedArray;
}

/** Image files under `dir` (recursively), sorted so sample order is stable. */
export function listImages(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    throw new UserError(`cannot read image folder '${dir}'`);
  }
  const files: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...listImages(full));
    else if (IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) files.push(full);
  }
  return files;
}

/** Decodes a PNG or JPEG to RGB; throws on anything else or a corrupt file. */
export function decodeImage(file: string): DecodedImage {
  const bytes = fs.readFileSync(file);
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return decodePngToRgb(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    const rgb = new Uint8ClampedArray(img.width * img.height * 3);
    for (let p = 0; p < img.width * img.height; p++) {
      rgb[3 * p] = img.data[4 * p];
      rgb[3 * p + 1] = img.data[4 * p + 1];
      rgb[3 * p + 2] = img.data[4 * p + 2];
    }
    return { width: img.width, height: img.height, data: rgb };
  }
  throw new Error('not a PNG or JPEG file');
}

/** Readable images of a folder, decoded and resized once; reports what it skipped. */
export function loadImageFolder(dir: string, width: number, height: number, logger?: Logger): { files: string[]; images: Uint8ClampedArray[]; skipped: string[] } {
  const files = listImages(dir);
  const images: Uint8ClampedArray[] = [];
  const kept: string[] = [];
  const skipped: string[] = [];
  for (const f of files) {
    try {
      const img = decodeImage(f);
      images.push(resizeRgb(img.data, img.width, img.height, width, height));
      kept.push(f);
    } catch (e) {
      skipped.push(f);
      logger?.warn(`skipping unreadable image '${f}': ${(e as Error).message}`);
    }
  }
  if (skipped.length) logger?.warn(`${skipped.length} of ${files.length} files in '${dir}' could not be read and were skipped`);
  if (!images.length) throw new UserError(`no readable PNG or JPEG image in '${dir}'${skipped.length ? ` (${skipped.length} unreadable)` : ''}`);
  return { files: kept, images, skipped };
}

export function imageFolderGenerator(dir: string, image: { shape: ImageInputShape; preprocessing: Preprocessing }, logger?: Logger): InputGenerator {
  const { files, images, skipped } = loadImageFolder(dir, image.shape.width, image.shape.height, logger);
  return {
    description: { kind: 'images', folder: path.resolve(dir), images: files.length, skipped: skipped.length },
    sample(index, out) {
      // More samples than images cycle through the folder.
      rgbToModelInput(images[index % images.length], image.shape, image.preprocessing, out);
    },
  };
}
