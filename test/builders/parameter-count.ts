// Parameter counts comparable with published figures, which count what
// PyTorch's model.parameters() holds: BatchNormalization running statistics
// are buffers, not parameters.

import type { Model } from '../../compiler/ir/model.ts';
import type { Value } from '../../compiler/ir/value.ts';

export function parameterCount(model: Model): number {
  const runningStatistics = new Set<Value | null>();
  for (const node of model.graph.nodes) {
    if (node.opType === 'BatchNormalization') {
      runningStatistics.add(node.inputs[3]);
      runningStatistics.add(node.inputs[4]);
    }
  }
  let count = 0;
  for (const v of model.graph.initializers()) if (!runningStatistics.has(v)) count += v.constValue!.size;
  return count;
}
