import { expect } from 'chai';
import { PNG } from 'pngjs';
import { Rng } from './rng.ts';
import { contactSheet, decodePngToRgb, encodePng } from './png.ts';

function randomRgb(width: number, height: number, seed: number): Uint8ClampedArray {
  const rng = new Rng(seed);
  return Uint8ClampedArray.from({ length: width * height * 3 }, () => rng.int(256));
}

describe('png', () => {
  it('round-trips RGB bytes exactly', () => {
    for (const [width, height] of [[1, 1], [7, 3], [112, 112]]) {
      const rgb = randomRgb(width, height, width * 1000 + height);
      const decoded = decodePngToRgb(encodePng(rgb, width, height));
      expect([decoded.width, decoded.height]).to.deep.equal([width, height]);
      expect(Buffer.from(decoded.data).equals(Buffer.from(rgb))).to.equal(true);
    }
  });

  it('encodes a view into a larger buffer without reading outside it', () => {
    const backing = new Uint8Array(100).fill(9);
    const view = backing.subarray(10, 10 + 2 * 2 * 3).fill(200);
    expect(Array.from(decodePngToRgb(encodePng(view, 2, 2)).data)).to.deep.equal(Array(12).fill(200));
  });

  it('drops alpha when decoding an RGBA PNG', () => {
    const png = new PNG({ width: 2, height: 1 });
    png.data = Buffer.from([1, 2, 3, 0, 4, 5, 6, 255]);
    const decoded = decodePngToRgb(PNG.sync.write(png));
    expect(Array.from(decoded.data)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a buffer that does not match the size', () => {
    expect(() => encodePng(new Uint8Array(5), 1, 2)).to.throw(RangeError);
  });

  it('lays images out in rows on white, with gaps', () => {
    const tile = (value: number, width: number, height: number) => ({ data: new Uint8ClampedArray(width * height * 3).fill(value), width, height });
    const sheet = contactSheet([tile(10, 2, 2), tile(20, 2, 2), tile(30, 1, 2)], 2, 1);
    expect([sheet.width, sheet.height]).to.deep.equal([7, 7]);
    const at = (x: number, y: number) => sheet.data[(y * sheet.width + x) * 3];
    expect([at(0, 0), at(1, 1), at(2, 2), at(3, 1), at(4, 1), at(5, 2), at(1, 4), at(2, 4)]).to.deep.equal([255, 10, 10, 255, 20, 20, 30, 255]);
  });
});
