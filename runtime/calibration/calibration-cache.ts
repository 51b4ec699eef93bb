// The calibration cache file: per-tensor statistics of one model, plus what
// produced them. Shards of a calibration run (or runs on more samples) are
// combined with mergeCaches; because the histograms merge exactly, a merged
// cache equals the one a single run over all samples would have written.
//
// In memory, tensors live in a Map: ONNX tensor names are arbitrary strings,
// "__proto__" included, which a plain object would mishandle.

import { readFileSync } from 'node:fs';
import { UserError } from '../../compiler/errors.ts';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { TensorStatistics, type TensorStatisticsJSON } from './tensor-statistics.ts';

export const CALIBRATION_CACHE_VERSION = 1;

export interface ModelIdentity {
  name: string;
  /** Lower-case hex SHA-256 of the ONNX file. */
  sha256: string;
}

/** How the synthetic inputs were made; free-form JSON chosen by the runner. */
export type GeneratorDescription = { [key: string]: unknown };

export interface CalibrationCache {
  version: typeof CALIBRATION_CACHE_VERSION;
  model: ModelIdentity;
  samples: number;
  generator: GeneratorDescription;
  tensors: Map<string, TensorStatistics>;
}

export interface CalibrationCacheJSON {
  version: typeof CALIBRATION_CACHE_VERSION;
  model: ModelIdentity;
  samples: number;
  generator: GeneratorDescription;
  tensors: { [tensorName: string]: TensorStatisticsJSON };
}

/**
 * Combines two caches of the same model into a new one (inputs untouched).
 * Tensors are united; a tensor in both has its statistics merged, b's batches
 * counting as after a's for the moving average. Generators that differ are
 * kept side by side as { merged: [...] }.
 */
export function mergeCaches(a: CalibrationCache, b: CalibrationCache): CalibrationCache {
  if (a.model.name !== b.model.name || a.model.sha256 !== b.model.sha256) {
    throw new Error(
      `mergeCaches: the caches are for different models: "${a.model.name}" (sha256 ${a.model.sha256}) and "${b.model.name}" (sha256 ${b.model.sha256})`,
    );
  }
  const tensors = new Map<string, TensorStatistics>();
  for (const [name, stats] of a.tensors) tensors.set(name, stats.clone());
  for (const [name, stats] of b.tensors) {
    const mine = tensors.get(name);
    try {
      tensors.set(name, mine ? mine.merge(stats) : stats.clone());
    } catch (error) {
      throw new Error(`mergeCaches: tensor "${name}": ${(error as Error).message}`);
    }
  }
  return {
    version: CALIBRATION_CACHE_VERSION,
    model: { ...a.model },
    samples: a.samples + b.samples,
    generator: mergeGenerators(a.generator, b.generator),
    tensors,
  };
}

function mergeGenerators(a: GeneratorDescription, b: GeneratorDescription): GeneratorDescription {
  const distinct = new Map<string, unknown>();
  for (const g of [...mergedParts(a), ...mergedParts(b)]) distinct.set(canonicalJSON(g), g);
  const parts = [...distinct.values()];
  return parts.length === 1 ? (parts[0] as GeneratorDescription) : { merged: parts };
}

function mergedParts(g: GeneratorDescription): unknown[] {
  const keys = Object.keys(g);
  return keys.length === 1 && keys[0] === 'merged' && Array.isArray(g.merged) ? g.merged : [g];
}

/** JSON with object keys sorted, so that equal values give equal text. */
function canonicalJSON(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

export function calibrationCacheToJSON(cache: CalibrationCache): CalibrationCacheJSON {
  return {
    version: cache.version,
    model: { ...cache.model },
    samples: cache.samples,
    generator: cache.generator,
    tensors: Object.fromEntries([...cache.tensors].map(([name, stats]) => [name, stats.toJSON()])),
  };
}

export function writeCalibrationCache(cache: CalibrationCache): string {
  return JSON.stringify(calibrationCacheToJSON(cache));
}

/** Reads a cache file for the CLI: a missing or invalid file is one UserError line. */
export function readCalibrationCacheFile(file: string): CalibrationCache {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`cannot read calibration cache '${file}'`);
  }
  try {
    return readCalibrationCache(text);
  } catch (e) {
    throw new UserError(`calibration cache '${file}': ${(e as Error).message.replace(/^calibration cache: /, '')}`);
  }
}

/** Parses and validates a cache file; any defect is one Error naming the field. */
export function readCalibrationCache(text: string): CalibrationCache {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the offending text, newlines and all: keep its first line.
    throw new Error(`calibration cache: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const version = json !== null && typeof json === 'object' ? (json as { version?: unknown }).version : undefined;
  if (version !== undefined && version !== CALIBRATION_CACHE_VERSION) {
    // Checked before the schema so that a newer file says so rather than failing on some field.
    throw new Error(`calibration cache: version is ${JSON.stringify(version)}, this build reads version ${CALIBRATION_CACHE_VERSION}`);
  }
  const validate = cacheValidator();
  if (!validate(json)) throw new Error(`calibration cache: ${describeSchemaError(validate.errors![0])}`);
  const tensors = new Map<string, TensorStatistics>();
  for (const [name, stats] of Object.entries(json.tensors)) {
    try {
      tensors.set(name, TensorStatistics.fromJSON(stats, fieldPath(['tensors', name])));
    } catch (error) {
      throw new Error(`calibration cache: ${(error as Error).message}`);
    }
  }
  return { version: json.version, model: json.model, samples: json.samples, generator: json.generator, tensors };
}

let compiledValidator: ValidateFunction<CalibrationCacheJSON> | undefined;

function cacheValidator(): ValidateFunction<CalibrationCacheJSON> {
  if (!compiledValidator) {
    const schemaUrl = new URL('../../schemas/calibration-cache.schema.json', import.meta.url);
    const schema = JSON.parse(readFileSync(schemaUrl, 'utf8')) as object;
    compiledValidator = new Ajv().compile<CalibrationCacheJSON>(schema);
  }
  return compiledValidator;
}

function describeSchemaError(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') return `${fieldPath([...segments, error.params.missingProperty as string])} is missing`;
  if (error.keyword === 'additionalProperties') {
    return `${fieldPath([...segments, error.params.additionalProperty as string])} is not a known field`;
  }
  return `${fieldPath(segments) || '(root)'} ${error.message ?? 'is invalid'}`;
}

/** a.b["odd name"].c, with the leading dot dropped. */
function fieldPath(segments: string[]): string {
  return segments
    .map((s) => (/^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : /^\d+$/.test(s) ? `[${s}]` : `[${JSON.stringify(s)}]`))
    .join('')
    .replace(/^\./, '');
}
