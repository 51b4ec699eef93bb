// Seeded inputs for any model, from its declared input types: numeric checks
// (--verify, pass tests) need inputs before any generator knows the model.

import type { Model } from '../../compiler/ir/model.ts';
import { DataType } from '../../compiler/ir/data-type.ts';
import { UserError } from '../../compiler/errors.ts';
import { Rng } from '../generators/rng.ts';
import { Feeds, ort } from '../session.ts';

export interface FeedOptions {
  seed?: number | string;
  /** Sizes for symbolic or unknown dimensions, by dim_param name; default batch 1, others 64. */
  dims?: Record<string, number>;
  /** Values ~ N(0, std); default 1. */
  std?: number;
}

/** Concrete shapes of the model's real (non-initializer) inputs. */
export function concreteInputShapes(model: Model, dims: Record<string, number> = {}): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const v of model.graph.inputs) {
    if (v.isInitializer) continue;
    const shape = v.shape;
    if (!shape) throw new UserError(`input '${v.name}' has no declared shape; give its dimensions`);
    shapes.set(v.name, shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : typeof d === 'string' && dims[d] !== undefined ? dims[d] : i === 0 ? 1 : dims['*'] ?? 64)));
  }
  return shapes;
}

export function seededFeeds(model: Model, options: FeedOptions = {}): Feeds {
  const rng = new Rng(options.seed ?? 0);
  const feeds: Feeds = {};
  for (const [name, shape] of concreteInputShapes(model, options.dims)) {
    const v = model.graph.value(name)!;
    const n = shape.reduce((a, b) => a * b, 1);
    const type = v.tensorType!.elemType;
    if (type === DataType.FLOAT) {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = rng.normal(0, options.std ?? 1);
      feeds[name] = new ort.Tensor('float32', data, shape);
    } else if (type === DataType.INT64) {
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(rng.int(2))), shape);
    } else {
      throw new UserError(`input '${name}' has a type quantface cannot generate yet (${type})`);
    }
  }
  return feeds;
}
