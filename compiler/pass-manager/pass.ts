// What a pass is. Passes are stateless objects: everything a run needs or
// produces lives in the PassContext (options in, artifacts between passes,
// statistics and declines out), so the same pass object can run on any model
// any number of times. A pass that must execute the model (calibration,
// bias correction) asks ctx.services, which runtime/ provides: passes never
// import onnxruntime.

import type { Logger } from '../logger.ts';
import type { Model } from '../ir/model.ts';
import type { Node } from '../ir/node.ts';
import type { ModelServices } from './services.ts';
import { UserError } from '../errors.ts';

export interface Pass {
  /** kebab-case, unique in the registry. */
  readonly name: string;
  /** One line for `quantface passes` and --help. */
  readonly description: string;
  /** True when the pass must not change the model's outputs (checked by --verify). */
  readonly exact?: boolean;
  /** Returns whether anything changed. */
  run(model: Model, ctx: PassContext): boolean | Promise<boolean>;
}

export interface Decline {
  pass: string;
  rule?: string;
  node?: string;
  reason: string;
}

export interface PassContext {
  readonly logger: Logger;
  /** Options for passes, by key (e.g. 'quantization'); set by the pipeline's caller. */
  readonly options: ReadonlyMap<string, unknown>;
  /** Results one pass leaves for later ones (e.g. 'calibration' ranges). */
  readonly artifacts: Map<string, unknown>;
  /** Running the model: provided by runtime/, absent in pure graph pipelines. */
  readonly services?: ModelServices;
  /** Record why something that matched was not rewritten. */
  decline(reason: string, where?: { node?: Node; rule?: string }): void;
  /** Add to a named counter of the current pass (e.g. 'folded'). */
  count(stat: string, by?: number): void;
}

export function option<T>(ctx: PassContext, key: string): T | undefined {
  return ctx.options.get(key) as T | undefined;
}

/** The runtime services, for passes that must run the model; a clear error when the pipeline has none. */
export function requireServices(ctx: PassContext, pass: string): ModelServices {
  if (!ctx.services) throw new UserError(`${pass} needs to run the model, which only quantface compile and calibrate provide`);
  return ctx.services;
}
