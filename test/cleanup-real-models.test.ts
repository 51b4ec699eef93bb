// The default cleanup pipeline on the real models: every BatchNormalization
// that can be folded is gone, outputs agree with the original within 1e-4
// relative, and the interface is unchanged (except initializers that old
// exports listed as inputs, which lift-initializer-inputs drops by name).

import { expect } from 'chai';
import type { Model } from '../compiler/ir/model.ts';
import { loadModel } from '../compiler/onnx/load.ts';
import { table } from '../compiler/cli/format.ts';
import { applyAndCompare, opCount } from './helpers/pass-harness.ts';
import { allRealModels } from './fixtures/real-models.ts';

function signature(m: Model) {
  const io = (list: typeof m.graph.inputs) => list.filter((v) => !v.isInitializer).map((v) => `${v.name}:${v.tensorType?.elemType}:${JSON.stringify(v.shape)}`);
  return { inputs: io(m.graph.inputs), outputs: io(m.graph.outputs) };
}

describe('cleanup pipeline on the real models', () => {
  const rows: string[][] = [];
  after(() => {
    process.stdout.write(`\n${table(['model', 'BN before', 'BN after', 'nodes before', 'nodes after', 'max abs diff', 'relative'], rows)}\n`);
  });

  for (const { name, path } of allRealModels()) {
    it(`${name}: folds every foldable BatchNormalization and keeps outputs`, async () => {
      const model = loadModel(path);
      const before = { bn: opCount(model, 'BatchNormalization'), nodes: model.graph.nodes.length, signature: signature(model) };
      const outcome = await applyAndCompare(model, ['cleanup'], { dims: { '*': 64 } });
      const bnAfter = opCount(model, 'BatchNormalization');
      rows.push([name, String(before.bn), String(bnAfter), String(before.nodes), String(model.graph.nodes.length), outcome.worst.maxAbs.toExponential(2), outcome.worst.relative.toExponential(2)]);
      expect(outcome.worst.relative, `output ${outcome.worst.output}`).to.be.at.most(1e-4);
      // A BN may remain only with a reason that no rewrite can remove.
      const bnDeclines = outcome.reports.flatMap((r) => r.declines).filter((d) => d.pass === 'fold-batchnorm' && !d.reason.startsWith('not folded into'));
      expect(bnAfter).to.equal(new Set(bnDeclines.map((d) => d.node)).size);
      expect(signature(model)).to.deep.equal(before.signature);
    });
  }
});
