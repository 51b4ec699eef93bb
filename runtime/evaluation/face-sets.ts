// Labelled face sets for verification: a folder with one sub-folder per
// identity (real photos, aligned), or synthetic identities rendered by the
// faces generator (same person, new pose, lighting and expression).

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../compiler/errors.ts';
import type { Logger } from '../../compiler/logger.ts';
import { renderIdentitySet } from '../generators/face-identities.ts';
import { decodeImage, listImages } from '../generators/image-folder-input.ts';
import { ImageInputShape, Preprocessing, resizeRgb, rgbToModelInput } from '../generators/preprocessing.ts';

export interface FaceSet {
  /** One model input sample per face. */
  samples: Float32Array[];
  labels: number[];
  identities: number;
  source: string;
}

/** 'faces:IDENTITIESxPHOTOS' (e.g. faces:100x4) or a folder of identity sub-folders. */
export function loadFaceSet(spec: string, shape: ImageInputShape, pre: Preprocessing, seed: number | string, logger?: Logger): FaceSet {
  const synthetic = /^faces(?::(\d+)x(\d+))?$/.exec(spec);
  if (synthetic) return syntheticFaceSet(Number(synthetic[1] ?? 100), Number(synthetic[2] ?? 4), shape, pre, seed);
  return folderFaceSet(spec, shape, pre, logger);
}

export function syntheticFaceSet(identities: number, perIdentity: number, shape: ImageInputShape, pre: Preprocessing, seed: number | string): FaceSet {
  if (identities < 2 || perIdentity < 2) throw new UserError('a synthetic face set needs at least 2 identities with 2 photos each (faces:IDxN)');
  const samples: Float32Array[] = [];
  const labels: number[] = [];
  for (const { identity, image } of renderIdentitySet(`${seed}:verify`, identities, perIdentity, shape.width, shape.height)) {
    const out = new Float32Array(shape.channels * shape.width * shape.height);
    rgbToModelInput(image, shape, pre, out);
    samples.push(out);
    labels.push(identity);
  }
  return { samples, labels, identities, source: `synthetic faces, ${identities} identities x ${perIdentity} photos, seed ${seed}` };
}

function folderFaceSet(dir: string, shape: ImageInputShape, pre: Preprocessing, logger?: Logger): FaceSet {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    throw new UserError(`cannot read face folder '${dir}' (give a folder with one sub-folder per identity, or faces:IDxN)`);
  }
  const people = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const samples: Float32Array[] = [];
  const labels: number[] = [];
  let skipped = 0;
  people.forEach((person, label) => {
    for (const file of listImages(path.join(dir, person))) {
      try {
        const img = decodeImage(file);
        const out = new Float32Array(shape.channels * shape.width * shape.height);
        rgbToModelInput(resizeRgb(img.data, img.width, img.height, shape.width, shape.height), shape, pre, out);
        samples.push(out);
        labels.push(label);
      } catch (e) {
        skipped++;
        logger?.warn(`skipping unreadable image '${file}': ${(e as Error).message}`);
      }
    }
  });
  if (skipped) logger?.warn(`${skipped} unreadable images skipped`);
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  if ([...counts.values()].filter((c) => c >= 2).length < 1 || counts.size < 2) {
    throw new UserError(`'${dir}' needs at least two identity sub-folders and one identity with two or more readable photos`);
  }
  return { samples, labels, identities: counts.size, source: path.resolve(dir) };
}
