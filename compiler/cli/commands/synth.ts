import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../errors.ts';
import { createLogger, LogLevel } from '../../logger.ts';
import { renderFaceSample } from '../../../runtime/generators/faces-input.ts';
import { renderIdentitySet } from '../../../runtime/generators/face-identities.ts';
import { contactSheet, encodePng } from '../../../runtime/generators/png.ts';
import { writeAtomic } from '../../onnx/save.ts';

interface Args {
  generator: string;
  n: number;
  out: string;
  size: string;
  seed: string;
  identities?: number;
  'contact-sheet': boolean;
  'log-level': LogLevel;
}

export const synthCommand: CommandModule<object, Args> = {
  command: 'synth',
  describe: 'write synthetic calibration images as PNG files, to look at them (or labelled identities for verify)',
  builder: (y) =>
    y
      .option('generator', { type: 'string', default: 'faces', describe: 'faces (the procedural face generator)' })
      .option('n', { type: 'number', default: 16, describe: 'images to write (with --identities: photos per identity)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (created)' })
      .option('size', { type: 'string', default: '112x112', describe: 'WIDTHxHEIGHT' })
      .option('seed', { type: 'string', default: '0' })
      .option('identities', { type: 'number', describe: 'write this many identities as sub-folders (a face set for quantface verify --pairs)' })
      .option('contact-sheet', { type: 'boolean', default: true, describe: 'also write contact-sheet.png' }) as never,
  handler: (args) => {
    const logger = createLogger(args['log-level']);
    if (args.generator !== 'faces') throw new UserError(`synth renders the 'faces' generator; '${args.generator}' produces no images to look at`);
    const size = /^(\d+)x(\d+)$/.exec(args.size);
    if (!size || Number(size[1]) < 16 || Number(size[2]) < 16) throw new UserError(`--size takes WIDTHxHEIGHT of at least 16x16, got '${args.size}'`);
    if (!Number.isInteger(args.n) || args.n < 1) throw new UserError('-n must be a positive integer');
    const [width, height] = [Number(size[1]), Number(size[2])];
    fs.mkdirSync(args.out, { recursive: true });
    const images: { data: Uint8ClampedArray; width: number; height: number }[] = [];
    if (args.identities !== undefined) {
      if (!Number.isInteger(args.identities) || args.identities < 2 || args.n < 2) throw new UserError('--identities needs at least 2 identities and -n of at least 2 photos each');
      const photos = new Map<number, number>();
      for (const { identity, image } of renderIdentitySet(`${args.seed}:verify`, args.identities, args.n, width, height)) {
        const dir = path.join(args.out, `id${String(identity).padStart(4, '0')}`);
        fs.mkdirSync(dir, { recursive: true });
        const index = photos.get(identity) ?? 0;
        photos.set(identity, index + 1);
        writeAtomic(path.join(dir, `${String(index).padStart(3, '0')}.png`), [encodePng(image, width, height)]);
        images.push({ data: image, width, height });
      }
    } else {
      for (let i = 0; i < args.n; i++) {
        const image = renderFaceSample(args.seed, i, width, height);
        writeAtomic(path.join(args.out, `face-${String(i).padStart(4, '0')}.png`), [encodePng(image, width, height)]);
        images.push({ data: image, width, height });
      }
    }
    if (args['contact-sheet']) {
      const sheet = contactSheet(images.slice(0, 64), args.identities !== undefined ? args.n : Math.ceil(Math.sqrt(Math.min(images.length, 64))), 2);
      writeAtomic(path.join(args.out, 'contact-sheet.png'), [encodePng(sheet.data, sheet.width, sheet.height)]);
    }
    logger.info(`wrote ${images.length} images to ${args.out}`);
  },
};
