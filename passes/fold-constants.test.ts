import { expect } from 'chai';
import { DataType } from '../compiler/ir/data-type.ts';
import { Tensor } from '../compiler/ir/tensor.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { applyAndCompare, expectExact, opCount } from '../test/helpers/pass-harness.ts';

describe('fold-constants', () => {
  it('folds the Shape-Gather-Unsqueeze-Concat-Reshape chain of a PyTorch flatten', async () => {
    const b = new GraphBuilder({ opset: 11 });
    const x = b.input('x', [2, 8, 3, 3]);
    const s = b.op('Shape', [x]);
    const n = b.op('Gather', [s, b.init('zero', Tensor.int64([], [0]))], { axis: 0 });
    const u = b.op('Unsqueeze', [n], { axes: [0] });
    const shape = b.op('Concat', [u, b.ints('minus1', [1], [-1])], { axis: 0 });
    b.output(b.op('Reshape', [x, shape]));
    const out = await applyAndCompare(b.model, ['fold-constants', 'eliminate-dead']);
    expectExact(out, 0);
    expect(b.graph.nodes.toArray().map((m) => m.opType)).to.deep.equal(['Reshape']);
    expect(b.graph.outputs[0].producer!.input(1)!.constValue!.toNumbers()).to.deep.equal([2, -1]);
  });

  it('folds weight transforms (Transpose, Mul, Slice, Cast, Concat) and keeps INT64_MAX ends', async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [3, 4]);
    const w = b.op('Transpose', [b.randn('wt', [5, 4])], { perm: [1, 0] });
    const scaled = b.op('Mul', [w, b.floats('two', [], [2])]);
    const sliced = b.op('Slice', [scaled, b.ints('st', [1], [1]), b.ints('en', [1], [2n ** 63n - 1n]), b.ints('ax', [1], [1])]);
    const y = b.op('MatMul', [x, sliced]);
    const c = b.op('Cast', [b.ints('iv', [1], [3])], { to: DataType.FLOAT });
    b.output(b.op('Add', [y, c]));
    const out = await applyAndCompare(b.model, ['fold-constants', 'eliminate-dead']);
    expectExact(out, 1e-7);
    expect(b.graph.nodes.toArray().map((m) => m.opType)).to.deep.equal(['MatMul', 'Add']);
  });

  it('never folds QuantizeLinear/DequantizeLinear and leaves non-constant inputs alone', async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [4]);
    const q = b.op('QuantizeLinear', [b.floats('w', [4], [0.1, -0.2, 0.3, 0.5]), b.floats('s', [], [0.01]), b.init('z', Tensor.fromTyped(DataType.INT8, [], Int8Array.of(0)))]);
    const dq = b.op('DequantizeLinear', [q, b.floats('s2', [], [0.01]), b.init('z2', Tensor.fromTyped(DataType.INT8, [], Int8Array.of(0)))]);
    b.output(b.op('Add', [x, dq]));
    const out = await applyAndCompare(b.model, ['fold-constants']);
    expectExact(out, 0);
    expect(opCount(b.model, 'QuantizeLinear')).to.equal(1);
    expect(opCount(b.model, 'DequantizeLinear')).to.equal(1);
  });

  it('declines a fold that would bloat the model', async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [1]);
    const big = b.op('ConstantOfShape', [b.ints('shape', [2], [2048, 1024])], { value: Tensor.float32([1], [1]) });
    b.output(b.op('ReduceSum', [b.op('Mul', [big, x])], { keepdims: 0 }));
    const out = await applyAndCompare(b.model, ['fold-constants']);
    expect(out.declines).to.include('the folded tensor would be much larger than its inputs');
    expect(opCount(b.model, 'ConstantOfShape')).to.equal(1);
  });
});
