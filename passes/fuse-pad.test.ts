import { expect } from 'chai';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { applyAndCompare, expectExact, opCount } from '../test/helpers/pass-harness.ts';

function padThen(consumer: 'Conv' | 'AveragePool' | 'MaxPool', options: { value?: number; countIncludePad?: number; pads?: number[] } = {}) {
  const b = new GraphBuilder({ opset: 13, seed: 9 });
  const x = b.input('x', [1, 3, 6, 6]);
  const pads = options.pads ?? [0, 0, 1, 2, 0, 0, 2, 1];
  const p = b.op('Pad', [x, b.ints('pads', [8], pads), b.floats('v', [], [options.value ?? 0])]);
  const y = consumer === 'Conv'
    ? b.op('Conv', [p, b.randn('w', [4, 3, 3, 3], 0.3)], { kernel_shape: [3, 3], pads: [1, 0, 0, 1] })
    : b.op(consumer, [p], { kernel_shape: [3, 3], ...(consumer === 'AveragePool' ? { count_include_pad: options.countIncludePad ?? 1 } : {}) });
  b.output(y);
  return b;
}

describe('fuse-pad', () => {
  it('folds a zero Pad into a Conv and into an AveragePool that counts padding', async () => {
    for (const op of ['Conv', 'AveragePool'] as const) {
      const b = padThen(op);
      const out = await applyAndCompare(b.model, ['fuse-pad']);
      expectExact(out);
      expect(opCount(b.model, 'Pad'), op).to.equal(0);
    }
  });

  it('declines MaxPool, AveragePool without padding in its average, a non-zero value, and channel padding', async () => {
    const cases: [ReturnType<typeof padThen>, RegExp][] = [
      [padThen('MaxPool'), /MaxPool pads with -inf/],
      [padThen('AveragePool', { countIncludePad: 0 }), /count_include_pad=0/],
      [padThen('Conv', { value: 1 }), /pad value is 1/],
      [padThen('Conv', { pads: [1, 0, 0, 0, 0, 0, 0, 0] }), /batch or channel axis/],
    ];
    for (const [b, reason] of cases) {
      const out = await applyAndCompare(b.model, ['fuse-pad']);
      expectExact(out, 0);
      expect(opCount(b.model, 'Pad')).to.equal(1);
      expect(out.declines.join()).to.match(reason);
    }
  });
});
