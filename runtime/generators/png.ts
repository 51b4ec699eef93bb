// PNG in and out for interleaved 8-bit RGB buffers (the layout the generators
// produce), plus a contact sheet for looking at many of them at once.

import { PNG } from 'pngjs';

export interface RgbImage {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

export function encodePng(rgb: Uint8ClampedArray | Uint8Array, width: number, height: number): Buffer {
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`encodePng: ${rgb.length} bytes is not ${width}x${height} RGB`);
  }
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** Decodes any PNG to 8-bit RGB, dropping alpha. */
export function decodePngToRgb(buf: Buffer): { width: number; height: number; data: Uint8ClampedArray } {
  const png = PNG.sync.read(buf);
  const { width, height } = png;
  const data = new Uint8ClampedArray(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
    data[i] = png.data[j];
    data[i + 1] = png.data[j + 1];
    data[i + 2] = png.data[j + 2];
  }
  return { width, height, data };
}

/** Lays images out in a grid, row by row, on white; cells are as large as the largest image. */
export function contactSheet(images: RgbImage[], columns: number, gap: number): { data: Uint8ClampedArray; width: number; height: number } {
  if (images.length === 0) throw new RangeError('contactSheet: no images');
  const cellWidth = Math.max(...images.map((im) => im.width));
  const cellHeight = Math.max(...images.map((im) => im.height));
  const cols = Math.min(columns, images.length);
  const rows = Math.ceil(images.length / cols);
  const width = cols * cellWidth + (cols + 1) * gap;
  const height = rows * cellHeight + (rows + 1) * gap;
  const data = new Uint8ClampedArray(width * height * 3).fill(255);
  images.forEach((image, k) => {
    const left = gap + (k % cols) * (cellWidth + gap);
    const top = gap + Math.floor(k / cols) * (cellHeight + gap);
    for (let y = 0; y < image.height; y++) {
      const from = y * image.width * 3;
      data.set(image.data.subarray(from, from + image.width * 3), ((top + y) * width + left) * 3);
    }
  });
  return { data, width, height };
}
