import { expect } from 'chai';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { applyAndCompare, expectExact } from '../test/helpers/pass-harness.ts';

describe('lift-initializer-inputs', () => {
  it('drops initializers from the graph inputs, names them, and changes no output', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [3]);
    const w = b.floats('w', [3], [1, 2, 3]);
    b.graph.inputs.push(w);
    b.output(b.op('Mul', [x, w]));
    const out = await applyAndCompare(b.model, ['lift-initializer-inputs']);
    expectExact(out, 0);
    expect(b.graph.inputs.map((v) => v.name)).to.deep.equal(['x']);
    expect(w.isConstant).to.equal(true);
    expect(out.logs.join()).to.match(/1 initializers are no longer graph inputs: w/);
  });
});
