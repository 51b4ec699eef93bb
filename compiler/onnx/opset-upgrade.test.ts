import { expect } from 'chai';
import { loadModel } from './load.ts';
import { raiseOpset, opsetUpgradeProblem } from './opset-upgrade.ts';
import { GraphBuilder } from '../../test/builders/graph-builder.ts';
import { applyAndCompare, expectExact } from '../../test/helpers/pass-harness.ts';
import { faceModel } from '../../test/fixtures/real-models.ts';
import type { Pass } from '../pass-manager/pass.ts';

const raiseTo = (target: number): Pass => ({ name: `raise-opset-${target}`, description: '', run: (m) => (raiseOpset(m, target), true) });

describe('raising the opset', () => {
  it('converts attributes that became inputs (Clip, Pad, Squeeze, Unsqueeze, ReduceMean, Slice) and keeps outputs', async () => {
    const b = new GraphBuilder({ opset: 9 });
    const x = b.input('x', [1, 3, 4, 4]);
    let v = b.op('Clip', [x], { min: -0.5, max: 0.5 });
    v = b.op('Pad', [v], { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant' });
    v = b.op('ReduceMean', [v], { axes: [2, 3], keepdims: 1 });
    v = b.op('Squeeze', [v], { axes: [2, 3] });
    v = b.op('Unsqueeze', [v], { axes: [2] });
    v = b.op('Slice', [v], { starts: [1], ends: [3], axes: [1] });
    b.output(v);
    const out = await applyAndCompare(b.model, [raiseTo(21)]);
    expectExact(out, 0);
    expect(b.model.opsetVersion()).to.equal(21);
    expect(b.model.irVersion).to.be.at.least(10);
    for (const n of b.graph.nodes) expect([...n.attributes.keys()].filter((k) => k !== 'keepdims' && k !== 'mode')).to.deep.equal([]);
  });

  it('raises fr_feature (Conv, PRelu, Add, Reshape) from 9 to 21 with identical outputs', async () => {
    const m = loadModel(faceModel('fr_feature'));
    expect(opsetUpgradeProblem(m, 21)).to.equal(null);
    expectExact(await applyAndCompare(m, [raiseTo(21)]), 0);
  });

  it('refuses, naming the op, when the meaning would change', () => {
    const b = new GraphBuilder({ opset: 9 });
    const x = b.input('x', [2, 3, 4]);
    b.output(b.op('Softmax', [x], { axis: 1 }));
    expect(() => raiseOpset(b.model, 13)).to.throw(/Softmax 'Softmax'.*axis=1 on a rank-3 input/);
    const u = new GraphBuilder({ opset: 9 });
    u.output(u.op('Upsample', [u.input('x', [1, 1, 2, 2]), u.floats('s', [4], [1, 1, 2, 2])]));
    expect(opsetUpgradeProblem(u.model, 13)).to.match(/Upsample was removed/);
    expect(u.model.opsetVersion()).to.equal(9);
  });
});
