// Options shared by every command that feeds a model: how its input is
// preprocessed, sizes for symbolic dimensions, and the input generator.

import type { Argv } from 'yargs';
import { UserError } from '../errors.ts';
import type { CalibrationSettings } from '../pipeline/compile.ts';
import { parsePreprocessing, PRESETS } from '../../runtime/generators/preprocessing.ts';
import type { OnnxGeneratorOptions } from '../../runtime/generators/onnx-generator-input.ts';

export interface InputArgs {
  preset: string;
  mean?: string;
  std?: string;
  'channel-order'?: string;
  layout?: string;
  'input-dim'?: string[];
  seed: string;
  'latent-size'?: number;
  truncation?: number;
  'output-range'?: string;
}

export function withInputOptions<T>(y: Argv<T>): Argv<T & InputArgs> {
  return y
    .option('preset', { type: 'string', default: 'arcface', group: 'Input:', describe: `preprocessing preset (${Object.keys(PRESETS).join(', ')}); arcface = (x - 127.5) / 127.5, RGB, NCHW` })
    .option('mean', { type: 'string', group: 'Input:', describe: 'per-channel mean in pixel units: 127.5 or 123.7,116.3,103.5' })
    .option('std', { type: 'string', group: 'Input:', describe: 'per-channel std in pixel units' })
    .option('channel-order', { type: 'string', group: 'Input:', describe: 'rgb or bgr' })
    .option('layout', { type: 'string', group: 'Input:', describe: 'nchw or nhwc' })
    .option('input-dim', { type: 'string', array: true, group: 'Input:', describe: 'size of a symbolic input dimension: NAME=SIZE (e.g. height=112)' })
    .option('seed', { type: 'string', default: '0', group: 'Input:', describe: 'seed of the input generator (same seed, same inputs)' })
    .option('latent-size', { type: 'number', group: 'Input:', describe: 'generator:G.onnx latent size (default: from the generator)' })
    .option('truncation', { type: 'number', group: 'Input:', describe: 'generator:G.onnx truncation: resample latent values beyond +-T' })
    .option('output-range', { type: 'string', group: 'Input:', describe: 'generator:G.onnx output value range mapped to pixels, e.g. -1,1 or 0,1' }) as Argv<T & InputArgs>;
}

export function calibrationSettings(args: InputArgs, generator: string, samples: number): CalibrationSettings {
  if (!Number.isInteger(samples) || samples < 1) throw new UserError(`--samples must be a positive integer, got ${samples}`);
  return {
    generator,
    samples,
    seed: args.seed,
    preprocessing: parsePreprocessing({ preset: args.preset, mean: args.mean, std: args.std, channelOrder: args['channel-order'], layout: args.layout }),
    dims: parseDims(args['input-dim']),
    onnxGenerator: onnxGeneratorOptions(args),
  };
}

function parseDims(list: string[] | undefined): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const entry of list ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(entry);
    if (!m || Number(m[2]) < 1) throw new UserError(`--input-dim takes NAME=SIZE with a positive size, got '${entry}'`);
    dims[m[1]] = Number(m[2]);
  }
  return dims;
}

function onnxGeneratorOptions(args: InputArgs): OnnxGeneratorOptions {
  let outputRange: [number, number] | undefined;
  if (args['output-range'] !== undefined) {
    const parts = args['output-range'].split(',').map(Number);
    if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || parts[1] <= parts[0]) throw new UserError(`--output-range takes LOW,HIGH with LOW < HIGH, got '${args['output-range']}'`);
    outputRange = [parts[0], parts[1]];
  }
  if (args.truncation !== undefined && !(args.truncation > 0)) throw new UserError('--truncation must be positive');
  return { latentSize: args['latent-size'], truncation: args.truncation, outputRange };
}
