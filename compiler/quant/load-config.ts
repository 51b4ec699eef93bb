// Reading a quantization config file, validated against its JSON Schema: a
// bad file is one error that names the field.

import fs from 'node:fs';
import { Ajv } from 'ajv';
import { UserError } from '../errors.ts';
import schema from '../../schemas/quantization-config.schema.json' with { type: 'json' };
import { parseScheme, QuantizationConfig } from '../../passes/quantize/quantization-config.ts';

const validate = new Ajv({ allErrors: false }).compile(schema);

export function loadQuantizationConfig(file: string): Partial<QuantizationConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`cannot read config '${file}'`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`config '${file}' is not valid JSON: ${(e as Error).message}`);
  }
  return parseQuantizationConfig(json, file);
}

export function parseQuantizationConfig(json: unknown, label = 'config'): Partial<QuantizationConfig> {
  if (!validate(json)) {
    const err = validate.errors![0];
    const field = err.instancePath ? err.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
    const detail = err.keyword === 'additionalProperties' ? `unknown field '${(err.params as { additionalProperty: string }).additionalProperty}'` : err.message;
    throw new UserError(`config '${label}': ${field}: ${detail}`);
  }
  // $schema only points editors at the schema.
  const { scheme, $schema: _schemaUrl, ...rest } = json as Partial<QuantizationConfig> & { scheme?: string; $schema?: string };
  if (scheme) {
    const bits = parseScheme(scheme);
    return { weightBits: bits.weightBits, ...(bits.actBits === null ? { weightOnly: true } : { actBits: bits.actBits }), ...rest };
  }
  return rest;
}
