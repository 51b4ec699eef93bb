import { expect } from 'chai';
import { Rng } from './rng.ts';
import { ARCFACE_LANDMARKS_112, neutralNuisance, renderFace, sampleIdentity, sampleNuisance } from './face-renderer.ts';
import { renderIdentitySet } from './face-identities.ts';

const SIZES: [number, number][] = [[112, 112], [128, 128], [64, 64], [96, 112], [240, 320]];

function identities(seed: string, count: number) {
  const root = new Rng(seed);
  return Array.from({ length: count }, (_, k) => sampleIdentity(root.fork(k)));
}

function meanAbsDifference(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

function meanColor(image: Uint8ClampedArray, width: number, inside: (x: number, y: number) => boolean): number[] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < image.length / 3; i++) {
    if (!inside(i % width, Math.floor(i / width))) continue;
    for (let c = 0; c < 3; c++) sum[c] += image[i * 3 + c];
    n++;
  }
  return sum.map((s) => s / n);
}

describe('renderFace', () => {
  it('gives identical bytes for the same seed, whatever was rendered in between, and different bytes for another seed', () => {
    const draw = (seed: string) => {
      const rng = new Rng(seed);
      return renderFace(sampleIdentity(rng.fork('id')), sampleNuisance(rng.fork('photo')), 112, 112);
    };
    const first = draw('a');
    draw('b');
    renderFace(sampleIdentity(new Rng('c')), neutralNuisance(), 64, 64);
    expect(Buffer.from(draw('a')).equals(Buffer.from(first))).to.equal(true);
    expect(meanAbsDifference(first, draw('b'))).to.be.above(5);
  });

  it('renders every supported size with the right length and a face in the middle', () => {
    const [identity] = identities('sizes', 1);
    for (const [width, height] of SIZES) {
      const image = renderFace(identity, neutralNuisance(), width, height);
      expect(image.length, `${width}x${height}`).to.equal(width * height * 3);
      const s = Math.min(width, height) / 112, ox = (width - 112 * s) / 2, oy = (height - 112 * s) / 2;
      const face = meanColor(image, width, (x, y) => ((x - ox) / s - 56) ** 2 / 22 ** 2 + ((y - oy) / s - 72) ** 2 / 26 ** 2 < 1);
      const corner = meanColor(image, width, (x, y) => (x - ox) / s < 6 && (y - oy) / s < 6);
      expect(Math.hypot(face[0] - corner[0], face[1] - corner[1], face[2] - corner[2]), `${width}x${height}`).to.be.above(25);
    }
  });

  it('writes into a caller-provided buffer and rejects one of the wrong size', () => {
    const [identity] = identities('out', 1);
    const out = new Uint8ClampedArray(64 * 64 * 3);
    expect(renderFace(identity, neutralNuisance(), 64, 64, out)).to.equal(out);
    expect(() => renderFace(identity, neutralNuisance(), 64, 65, out)).to.throw(RangeError);
  });

  it('separates the face from the background in colour', () => {
    for (const identity of identities('contrast', 12)) {
      const image = renderFace(identity, neutralNuisance(), 112, 112);
      const face = meanColor(image, 112, (x, y) => (x - 56) ** 2 / 22 ** 2 + (y - 72) ** 2 / 26 ** 2 < 1);
      const corners = meanColor(image, 112, (x, y) => y < 8 && (x < 8 || x >= 104));
      expect(Math.hypot(face[0] - corners[0], face[1] - corners[1], face[2] - corners[2])).to.be.above(25);
    }
  });

  it('puts the pupils on the ArcFace eye landmarks when there is no jitter', () => {
    const width = 112;
    for (const identity of identities('landmarks', 16)) {
      const image = renderFace(identity, neutralNuisance(), width, width);
      const luma = (x: number, y: number) => {
        const i = (y * width + x) * 3;
        return 0.299 * image[i] + 0.587 * image[i + 1] + 0.114 * image[i + 2];
      };
      for (const [ex, ey] of ARCFACE_LANDMARKS_112.slice(0, 2)) {
        let best = Infinity, bestX = 0, bestY = 0;
        for (let y = Math.round(ey) - 6; y <= Math.round(ey) + 6; y++) {
          for (let x = Math.round(ex) - 6; x <= Math.round(ex) + 6; x++) {
            let dark = 0;
            for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) dark += luma(x + dx, y + dy);
            if (dark < best) { best = dark; bestX = x; bestY = y; }
          }
        }
        // Pixel (x, y) covers [x, x + 1): its centre is half a pixel further on.
        expect(Math.hypot(bestX + 0.5 - ex, bestY + 0.5 - ey)).to.be.at.most(3);
      }
    }
  });

  it('makes photos of one person more alike than photos of two people', () => {
    const images = [...renderIdentitySet('similarity', 20, 2, 112, 112)].map((r) => r.image);
    let same = 0, different = 0;
    for (let i = 0; i < 20; i++) {
      same += meanAbsDifference(images[2 * i], images[2 * i + 1]);
      different += meanAbsDifference(images[2 * i], images[2 * ((i + 1) % 20) + 1]);
    }
    expect(same / 20).to.be.below(different / 20);
  });

  it('renders a 112x112 face in a few milliseconds', () => {
    const rng = new Rng('speed');
    const cases = Array.from({ length: 60 }, (_, k) => ({ identity: sampleIdentity(rng.fork(`i${k}`)), nuisance: sampleNuisance(rng.fork(`n${k}`)) }));
    const out = new Uint8ClampedArray(112 * 112 * 3);
    for (const c of cases) renderFace(c.identity, c.nuisance, 112, 112, out);
    const times = cases.map((c) => {
      const start = performance.now();
      renderFace(c.identity, c.nuisance, 112, 112, out);
      return performance.now() - start;
    }).sort((a, b) => a - b);
    expect(times[times.length >> 1]).to.be.below(8);
  });
});

describe('renderIdentitySet', () => {
  it('keeps identity i and its photos the same however many photos are asked for', () => {
    const few = [...renderIdentitySet(3, 3, 1, 64, 64)];
    const many = [...renderIdentitySet(3, 3, 4, 64, 64)];
    expect(few.map((r) => r.identity)).to.deep.equal([0, 1, 2]);
    expect(many.map((r) => r.identity)).to.deep.equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    for (let i = 0; i < 3; i++) expect(Buffer.from(many[4 * i].image).equals(Buffer.from(few[i].image))).to.equal(true);
    expect(meanAbsDifference(many[0].image, many[1].image)).to.be.above(1);
  });
});
