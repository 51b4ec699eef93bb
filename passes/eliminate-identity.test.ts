import { expect } from 'chai';
import { DataType } from '../compiler/ir/data-type.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { applyAndCompare, expectExact } from '../test/helpers/pass-harness.ts';

describe('eliminate-identity', () => {
  it('removes Identity, Dropout, identity Transpose, same-type Cast and same-shape Reshape', async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [2, 3, 4]);
    let v = b.op('Relu', [x]);
    v = b.op('Identity', [v]);
    v = b.op('Dropout', [v], {});
    v = b.op('Transpose', [v], { perm: [0, 1, 2] });
    v = b.op('Cast', [v], { to: DataType.FLOAT });
    v = b.op('Reshape', [v, b.ints('shape', [3], [0, 3, -1])]);
    b.output(b.op('Sigmoid', [v]));
    // Cast and Reshape are no-ops only given the types and shapes infer-shapes records.
    const out = await applyAndCompare(b.model, ['infer-shapes', 'eliminate-identity']);
    expectExact(out, 0);
    expect(b.graph.nodes.toArray().map((n) => n.opType)).to.deep.equal(['Relu', 'Sigmoid']);
  });

  it('keeps a real Transpose, a real Reshape, a Cast that changes type, and a Dropout whose mask is used', async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [2, 3, 4]);
    const t = b.op('Transpose', [x], { perm: [0, 2, 1] });
    const r = b.op('Reshape', [t, b.ints('shape', [2], [2, 12])]);
    const [d, mask] = b.opMulti('Dropout', [r], {}, { outputs: 2 });
    b.output(d);
    b.output(mask);
    const c = b.op('Cast', [x], { to: DataType.INT32 });
    b.output(c);
    const out = await applyAndCompare(b.model, ['eliminate-identity']);
    expect(b.graph.nodes.length).to.equal(4);
    expect(out.declines.join()).to.match(/is used/);
  });

  it('keeps an Identity that joins a graph input to a graph output (it would merge their names)', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2]);
    b.output(b.op('Identity', [x]));
    const out = await applyAndCompare(b.model, ['eliminate-identity']);
    expect(b.graph.nodes.length).to.equal(1);
    expect(out.declines[0]).to.match(/interface/);
  });

  it('keeps the graph output name when the removed Identity produced it', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2]);
    const y = b.op('Identity', [b.op('Relu', [x])]);
    y.name = 'embedding';
    b.output(y);
    await applyAndCompare(b.model, ['eliminate-identity']);
    expect(b.graph.outputs[0].name).to.equal('embedding');
    expect(b.graph.outputs[0].producer!.opType).to.equal('Relu');
  });
});
