// lift-initializer-inputs: initializers stop being graph inputs.
//
//   Before:  graph(%input, %conv.weight, %bn.mean, ...)  init %conv.weight ...
//   After:   graph(%input)                                init %conv.weight ...
//
// Exporters before IR version 4 had to list every initializer as a graph input
// too. onnxruntime then treats the weights as overridable inputs and folds
// nothing, and our own passes must not assume they are constant. Dropping them
// from the inputs is the one interface change a pass may make; every name
// dropped is reported.

import type { Pass } from '../compiler/pass-manager/pass.ts';

export const liftInitializerInputsPass: Pass = {
  name: 'lift-initializer-inputs',
  description: 'drop initializers from the graph inputs (old exports list weights as inputs) so they count as constants',
  exact: true,
  run(model, ctx) {
    const g = model.graph;
    const lifted = g.inputs.filter((v) => v.isInitializer);
    if (!lifted.length) return false;
    g.inputs = g.inputs.filter((v) => !v.isInitializer);
    if (model.irVersion < 4) model.irVersion = 4;
    ctx.count('lifted', lifted.length);
    const names = lifted.map((v) => v.name);
    const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more (--log-level debug lists all)` : names.join(', ');
    ctx.logger.info(`lift-initializer-inputs: ${lifted.length} initializers are no longer graph inputs: ${shown}`);
    if (names.length > 8) ctx.logger.debug(`lift-initializer-inputs: ${names.join(', ')}`);
    return true;
  },
};
