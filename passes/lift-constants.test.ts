import { expect } from 'chai';
import { Tensor } from '../compiler/ir/tensor.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { applyAndCompare, expectExact, opCount } from '../test/helpers/pass-harness.ts';

describe('lift-constants', () => {
  it('turns Constant weights (every attribute form) into initializers, keeping names', async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [1, 2, 4, 4]);
    const w = b.op('Constant', [], { value: Tensor.float32([3, 2, 1, 1], [1, 2, 3, 4, 5, 6]) }, { name: 'w_const' });
    const bias = b.op('Constant', [], { value_floats: [0.5, -1.5, 2] });
    const y = b.op('Conv', [x, w, bias], { kernel_shape: [1, 1] });
    const k = b.op('Constant', [], { value_float: 2.5 });
    b.output(b.op('Mul', [y, k]), [1, 3, 4, 4]);
    const name = w.name;
    const out = await applyAndCompare(b.model, ['lift-constants']);
    expectExact(out, 0);
    expect(opCount(b.model, 'Constant')).to.equal(0);
    expect(b.graph.value(name)!.isInitializer).to.equal(true);
    expect(b.graph.initializers()).to.have.length(3);
  });

  it('declines a Constant that is itself a graph output', async () => {
    const b = new GraphBuilder();
    b.input('x', [1]);
    b.output(b.op('Constant', [], { value: Tensor.float32([1], [3]) }));
    const out = await applyAndCompare(b.model, ['lift-constants']);
    expect(out.declines).to.deep.equal(['its output is a graph output']);
    expect(opCount(b.model, 'Constant')).to.equal(1);
  });
});
