import { expect } from 'chai';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { applyAndCompare, expectExact } from '../test/helpers/pass-harness.ts';

describe('eliminate-dead', () => {
  it('removes nodes and initializers no output depends on, keeps graph inputs', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [4]);
    const unusedInput = b.input('unused', [4]);
    const live = b.op('Relu', [x]);
    const dead = b.op('Mul', [live, b.floats('k', [4], [1, 2, 3, 4])]);
    b.op('Sigmoid', [dead]);
    b.floats('orphan', [2], [1, 2]);
    b.output(live);
    const out = await applyAndCompare(b.model, ['eliminate-dead']);
    expectExact(out, 0);
    expect(b.graph.nodes.toArray().map((n) => n.opType)).to.deep.equal(['Relu']);
    expect(b.graph.initializers()).to.have.length(0);
    expect(b.graph.inputs).to.include(unusedInput);
    expect(out.reports[0].stats).to.deep.equal({ nodes: 2, initializers: 2 });
  });
});
