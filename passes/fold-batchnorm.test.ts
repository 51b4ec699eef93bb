import { expect } from 'chai';
import { Attribute } from '../compiler/ir/attribute.ts';
import type { Value } from '../compiler/ir/value.ts';
import { runPasses } from '../compiler/pass-manager/pass-manager.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { builtinRegistry } from './index.ts';
import { applyAndCompare, expectExact, opCount } from '../test/helpers/pass-harness.ts';

function convBn(options: { group?: number; shareWeight?: boolean; bias?: boolean; opset?: number } = {}) {
  const b = new GraphBuilder({ opset: options.opset ?? 13, seed: 5 });
  const x = b.input('x', [1, 8, 10, 10]);
  const y = b.conv(x, 8, 8, 3, { group: options.group ?? 1, bias: options.bias ?? true, name: 'conv' });
  const z = b.batchNorm(y, 8, { name: 'bn' });
  if (options.shareWeight) {
    const other = b.op('Conv', [x, b.graph.value('conv.weight')!], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    b.output(other, [1, 8, 10, 10]);
  }
  b.output(b.op('Relu', [z]), [1, 8, 10, 10]);
  return b;
}

describe('fold-batchnorm', () => {
  it('folds into a Conv (with and without bias, grouped) exactly', async () => {
    for (const options of [{}, { bias: false }, { group: 4 }, { group: 8 }]) {
      const b = convBn(options);
      const out = await applyAndCompare(b.model, ['fold-batchnorm']);
      expectExact(out);
      expect(opCount(b.model, 'BatchNormalization')).to.equal(0);
      expect(opCount(b.model, 'Mul')).to.equal(0);
    }
  });

  it('folds into ConvTranspose per group on weight axis 1', async () => {
    const b = new GraphBuilder({ seed: 2 });
    const x = b.input('x', [1, 4, 5, 5]);
    const w = b.randn('w', [4, 3, 3, 3], 0.3);
    const y = b.op('ConvTranspose', [x, w, b.randn('bias', [6], 0.1)], { group: 2, strides: [2, 2], kernel_shape: [3, 3] });
    b.output(b.batchNorm(y, 6));
    const out = await applyAndCompare(b.model, ['fold-batchnorm']);
    expectExact(out);
    expect(opCount(b.model, 'BatchNormalization')).to.equal(0);
  });

  for (const transB of [0, 1]) {
    it(`folds into Gemm with transB=${transB}`, async () => {
      const b = new GraphBuilder({ seed: 4 });
      const x = b.input('x', [3, 6]);
      const w = transB ? b.randn('w', [5, 6]) : b.randn('w', [6, 5]);
      const y = b.op('Gemm', [x, w, b.randn('c', [5])], { transB, alpha: 0.5, beta: 2.5 });
      b.output(b.batchNorm(y, 5));
      const out = await applyAndCompare(b.model, ['fold-batchnorm']);
      expectExact(out);
      expect(opCount(b.model, 'BatchNormalization')).to.equal(0);
    });
  }

  it('folds into MatMul with a constant 2-D weight plus an Add', async () => {
    const b = new GraphBuilder({ seed: 6 });
    const x = b.input('x', [2, 6]);
    const y = b.op('MatMul', [x, b.randn('w', [6, 4])]);
    b.output(b.batchNorm(y, 4));
    const out = await applyAndCompare(b.model, ['fold-batchnorm']);
    expectExact(out);
    expect(opCount(b.model, 'BatchNormalization')).to.equal(0);
    expect(opCount(b.model, 'Add')).to.equal(1);
  });

  it('folds into the following unpadded Conv (pre-activation) and not into a padded one', async () => {
    for (const pad of [0, 1]) {
      const b = new GraphBuilder({ seed: 8 });
      const x = b.input('x', [1, 4, 6, 6]);
      const y = b.batchNorm(x, 4, { name: 'bn' });
      b.output(b.conv(y, 4, 6, pad ? 3 : 1, { pad, group: 2 }));
      const out = await applyAndCompare(b.model, ['infer-shapes', 'fold-batchnorm']);
      expectExact(out);
      expect(opCount(b.model, 'BatchNormalization')).to.equal(0);
      expect(opCount(b.model, 'Mul'), `pad ${pad}`).to.equal(pad ? 1 : 0);
      if (pad) expect(out.declines.join()).to.match(/padding would apply after the BN/);
    }
  });

  it('becomes Mul+Add after an op it cannot fold into, exactly, for every BN opset', async () => {
    for (const opset of [7, 9, 14, 15]) {
      const b = new GraphBuilder({ opset, seed: opset });
      const x = b.input('x', [1, 3, 4, 4]);
      const y = b.op('Add', [x, x]);
      b.output(b.batchNorm(y, 3, { epsilon: 1e-3 }), [1, 3, 4, 4]);
      const out = await applyAndCompare(b.model, ['infer-shapes', 'fold-batchnorm']);
      expectExact(out);
      expect(opCount(b.model, 'BatchNormalization'), `opset ${opset}`).to.equal(0);
      expect(opCount(b.model, 'Mul')).to.equal(1);
    }
  });

  it('declines a shared weight (then uses Mul+Add), and leaves the shared weight alone', async () => {
    const b = convBn({ shareWeight: true });
    const weight = b.graph.value('conv.weight')!.constValue;
    const out = await applyAndCompare(b.model, ['infer-shapes', 'fold-batchnorm']);
    expectExact(out);
    expect(out.declines.join()).to.match(/weight 'conv.weight' is shared with another node/);
    expect(b.graph.value('conv.weight')!.constValue).to.equal(weight);
  });

  it('declines when the producer output has another user', async () => {
    const b = new GraphBuilder({ seed: 1 });
    const x = b.input('x', [1, 4, 5, 5]);
    const y = b.conv(x, 4, 4, 3);
    b.output(b.batchNorm(y, 4));
    b.output(b.op('Relu', [y]));
    const out = await applyAndCompare(b.model, ['infer-shapes', 'fold-batchnorm']);
    expectExact(out);
    expect(out.declines.join()).to.match(/has other users/);
  });

  it('does nothing in training mode', async () => {
    const b = convBn({ opset: 14 });
    b.graph.outputs[0].producer!.input(0)!.producer!.setAttr(Attribute.int('training_mode', 1));
    const reports = await runPasses(b.model, builtinRegistry().resolve(['fold-batchnorm']));
    expect(reports[0].declines.map((d) => d.reason)).to.deep.equal(['training_mode=1']);
    expect(opCount(b.model, 'BatchNormalization')).to.equal(1);
  });

  it('does nothing when a parameter is not a constant (a graph input)', async () => {
    const b = convBn();
    const bn = b.graph.outputs[0].producer!.input(0)!.producer!;
    b.graph.inputs.push(bn.input(3) as Value);
    const out = await applyAndCompare(b.model, ['fold-batchnorm']);
    expect(opCount(b.model, 'BatchNormalization')).to.equal(1);
    expect(out.declines.join()).to.match(/parameter mean 'bn.mean' is not a constant/);
  });
});
