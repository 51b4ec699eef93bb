// Quantization flags of `compile`, merged over an optional config file.

import type { Argv } from 'yargs';
import { loadQuantizationConfig } from '../quant/load-config.ts';
import { checkBits, parseScheme, QuantizationConfig, Target, TARGETS } from '../../passes/quantize/quantization-config.ts';

export interface QuantizationArgs {
  scheme?: string;
  'weight-bits'?: number;
  'act-bits'?: number;
  'per-channel'?: boolean;
  'symmetric-weights'?: boolean;
  'symmetric-activations'?: boolean;
  target?: string;
  'weight-only'?: boolean;
  'keep-first-last-8bit'?: boolean;
  'quantize-prelu'?: boolean;
  int4?: boolean;
  'fuse-prelu'?: boolean;
  exclude?: string[];
  config?: string;
}

export function withQuantizationOptions<T>(y: Argv<T>): Argv<T & QuantizationArgs> {
  const g = 'Quantization:';
  return y
    .option('scheme', { type: 'string', group: g, describe: 'w<bits>a<bits>: w8a8 (default), w6a6, w4a8, w8a16; w<bits> alone = weight-only' })
    .option('weight-bits', { type: 'number', group: g, describe: 'weight bits (2..16)' })
    .option('act-bits', { type: 'number', group: g, describe: 'activation bits (2..16)' })
    .option('per-channel', { type: 'boolean', group: g, describe: 'one weight scale per output channel (default; --no-per-channel for per-tensor)' })
    .option('symmetric-weights', { type: 'boolean', group: g, describe: 'symmetric signed weights (default; --no-symmetric-weights for affine)' })
    .option('symmetric-activations', { type: 'boolean', group: g, describe: 'symmetric int8 activations instead of affine uint8' })
    .option('target', { choices: TARGETS, group: g, describe: 'where the model runs: x86 (default: 8-bit weights stored as 7-bit codes so u8s8 kernels cannot saturate), vnni, arm64, wasm' })
    .option('weight-only', { type: 'boolean', group: g, describe: 'integer weights, float activations (smaller file, no integer kernels)' })
    .option('keep-first-last-8bit', { type: 'boolean', group: g, describe: 'keep the first and last weighted layer at 8 bits' })
    .option('quantize-prelu', { type: 'boolean', group: g, describe: 'quantize PRelu slopes with the activation bits, as QuantFace does' })
    .option('int4', { type: 'boolean', group: g, describe: 'store weights of 4 bits or fewer as packed int4 (raises the opset to 21)' })
    .option('fuse-prelu', { type: 'boolean', group: g, describe: 'quantize Conv+PRelu as one block (one rounding, not two): more accurate, that Conv runs in float' })
    .option('exclude', { type: 'string', array: true, group: g, describe: 'keep in float: node name, op type or /regex/ (repeatable)' })
    .option('config', { type: 'string', group: g, describe: 'JSON quantization config with per-layer overrides (schemas/quantization-config.schema.json)' }) as Argv<T & QuantizationArgs>;
}

export function quantizationConfig(args: QuantizationArgs): Partial<QuantizationConfig> {
  const config: Partial<QuantizationConfig> = args.config ? loadQuantizationConfig(args.config) : {};
  if (args.scheme !== undefined) {
    const { weightBits, actBits } = parseScheme(args.scheme);
    config.weightBits = weightBits;
    if (actBits === null) config.weightOnly = true;
    else config.actBits = actBits;
  }
  if (args['weight-bits'] !== undefined) {
    checkBits('weight', args['weight-bits']);
    config.weightBits = args['weight-bits'];
  }
  if (args['act-bits'] !== undefined) {
    checkBits('activation', args['act-bits']);
    config.actBits = args['act-bits'];
  }
  if (args['per-channel'] !== undefined) config.perChannel = args['per-channel'];
  if (args['symmetric-weights'] !== undefined) config.symmetricWeights = args['symmetric-weights'];
  if (args['symmetric-activations'] !== undefined) config.symmetricActivations = args['symmetric-activations'];
  if (args.target !== undefined) config.target = args.target as Target;
  if (args['weight-only'] !== undefined) config.weightOnly = args['weight-only'];
  if (args['keep-first-last-8bit'] !== undefined) config.keepFirstLast8Bit = args['keep-first-last-8bit'];
  if (args['quantize-prelu'] !== undefined) config.quantizePReluSlope = args['quantize-prelu'];
  if (args.int4 !== undefined) config.packInt4 = args.int4;
  if (args['fuse-prelu'] !== undefined) config.fusePRelu = args['fuse-prelu'];
  if (args.exclude?.length) config.exclude = [...(config.exclude ?? []), ...args.exclude];
  return config;
}
