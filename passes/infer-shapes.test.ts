import { expect } from 'chai';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { applyAndCompare, expectExact } from '../test/helpers/pass-harness.ts';

describe('infer-shapes', () => {
  it('infers conv, pool, gemm, flatten and broadcast shapes that onnxruntime agrees with', async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [2, 3, 17, 17]);
    const c = b.conv(x, 3, 8, 3, { stride: 2, pad: 1 });
    const p = b.op('MaxPool', [c], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
    const g = b.op('GlobalAveragePool', [p]);
    const m = b.op('Mul', [p, g]);
    const f = b.op('Flatten', [m]);
    const y = b.op('Gemm', [f, b.randn('fc', [10, 8 * 4 * 4])], { transB: 1 });
    b.output(y);
    const out = await applyAndCompare(b.model, ['infer-shapes']);
    expectExact(out, 0);
    expect(c.shape).to.deep.equal([2, 8, 9, 9]);
    expect(p.shape).to.deep.equal([2, 8, 4, 4]);
    expect(g.shape).to.deep.equal([2, 8, 1, 1]);
    expect(m.shape).to.deep.equal([2, 8, 4, 4]);
    expect(f.shape).to.deep.equal([2, 128]);
    expect(y.shape).to.deep.equal([2, 10]);
  });

  it('keeps symbolic dimensions symbolic and unknown spatial sizes unknown', async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', ['batch', 3, 'h', 'w']);
    const c = b.conv(x, 3, 4, 3);
    const g = b.op('GlobalAveragePool', [c]);
    b.output(b.op('Mul', [c, g]));
    await applyAndCompare(b.model, ['infer-shapes'], { dims: { batch: 2, h: 8, w: 8 } });
    expect(c.shape).to.deep.equal(['batch', 4, null, null]);
    expect(b.graph.outputs[0].shape).to.deep.equal(['batch', 4, null, null]);
  });
});
