// The model as insert-qdq would emit it right now, for passes that must see
// what the quantized model computes (bias-correct, round-weights,
// search-ranges, sensitivity). The original is untouched.

import type { Model } from '../../compiler/ir/model.ts';
import { createLogger } from '../../compiler/logger.ts';
import { loadModelFromBuffer } from '../../compiler/onnx/load.ts';
import { serializeModel } from '../../compiler/onnx/save.ts';
import type { PassContext } from '../../compiler/pass-manager/pass.ts';
import { insertQdqPass, LAYER_OVERRIDES_ARTIFACT, QUANTIZATION_OPTION } from '../insert-qdq.ts';
import type { QuantizationConfig } from './quantization-config.ts';
import { rangeMemo } from './activation-ranges.ts';

export function quantizedClone(model: Model, ctx: PassContext, config?: Partial<QuantizationConfig>): Model {
  const clone = loadModelFromBuffer(serializeModel(model));
  rangeMemo(ctx);
  const options = new Map(ctx.options);
  const artifacts = new Map(ctx.artifacts);
  if (config) {
    options.set(QUANTIZATION_OPTION, { ...((ctx.options.get(QUANTIZATION_OPTION) as object) ?? {}), ...config });
    // The explicit config replaces overrides chosen earlier.
    artifacts.delete(LAYER_OVERRIDES_ARTIFACT);
  }
  // Own artifacts map (the clone's summary must not replace the real one), same range memo inside.
  const cloneCtx: PassContext = { ...ctx, options, artifacts, logger: createLogger('error'), decline() {}, count() {} };
  insertQdqPass.run(clone, cloneCtx);
  return clone;
}
