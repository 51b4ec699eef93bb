// The built-in passes and pipelines. Plugins register into the same registry.

import { PassRegistry } from '../compiler/pass-manager/registry.ts';
import { biasCorrectPass } from './bias-correct.ts';
import { calibratePass } from './calibrate.ts';
import { eliminateDeadPass } from './eliminate-dead.ts';
import { equalizePass } from './equalize.ts';
import { eliminateIdentityPass } from './eliminate-identity.ts';
import { foldBatchNormPass } from './fold-batchnorm.ts';
import { foldConstantsPass } from './fold-constants.ts';
import { fusePadPass } from './fuse-pad.ts';
import { inferShapesPass } from './infer-shapes.ts';
import { insertQdqPass } from './insert-qdq.ts';
import { liftConstantsPass } from './lift-constants.ts';
import { liftInitializerInputsPass } from './lift-initializer-inputs.ts';
import { mixedPrecisionPass, sensitivityPass } from './mixed-precision.ts';
import { roundWeightsPass } from './round-weights.ts';
import { searchRangesPass } from './search-ranges.ts';

export const CLEANUP_PIPELINE = [
  'lift-constants',
  'lift-initializer-inputs',
  'infer-shapes',
  'eliminate-identity',
  'fold-constants',
  'infer-shapes',
  'eliminate-dead',
  'fuse-pad',
  'fold-batchnorm',
  'eliminate-dead',
];

export function builtinRegistry(): PassRegistry {
  const registry = new PassRegistry();
  for (const pass of [
    liftConstantsPass,
    liftInitializerInputsPass,
    eliminateIdentityPass,
    eliminateDeadPass,
    foldConstantsPass,
    foldBatchNormPass,
    fusePadPass,
    inferShapesPass,
    calibratePass,
    insertQdqPass,
    biasCorrectPass,
    roundWeightsPass,
    equalizePass,
    sensitivityPass,
    mixedPrecisionPass,
    searchRangesPass,
  ]) {
    registry.register(pass);
  }
  registry.registerPipeline('cleanup', 'graph cleanup and exact BatchNorm folding', CLEANUP_PIPELINE);
  return registry;
}
