import { expect } from 'chai';
import type { Model } from '../compiler/ir/model.ts';
import { loadModelFromBuffer } from '../compiler/onnx/load.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { runWithServices } from '../test/helpers/pass-services.ts';
import { agreement } from '../test/helpers/quantize.ts';
import { WEIGHT_CODES_ARTIFACT, ChosenWeightCodes } from './insert-qdq.ts';

/** Correlated inputs (a 1x1 mixing conv first) make GPTQ's error feedback matter. */
function net(): Model {
  const b = new GraphBuilder({ opset: 13, seed: 5 });
  const x = b.input('x', [1, 3, 12, 12]);
  const mixed = b.conv(x, 3, 12, 1, { name: 'mix', bias: false });
  const c = b.op('Relu', [b.conv(mixed, 12, 16, 3, { name: 'conv' })]);
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [c])]);
  b.output(b.op('Gemm', [pooled, b.randn('fc.weight', [10, 16], 0.5), b.randn('fc.bias', [10], 0.1)], { transB: 1 }, { name: 'fc' }), [1, 10]);
  return b.model;
}

describe('round-weights', () => {
  it('chooses codes on the nearest-rounding grid that lower the output error at 4 and 3 bits', async () => {
    for (const bits of [4, 3]) {
      const float = net();
      const quantization = { weightBits: bits, actBits: 8, target: 'vnni' as const };
      const plain = loadModelFromBuffer(serializeModel(float));
      await runWithServices(plain, ['calibrate', 'insert-qdq'], { quantization, samples: 32 });
      const rounded = loadModelFromBuffer(serializeModel(float));
      const { artifacts, reports } = await runWithServices(rounded, ['calibrate', 'round-weights', 'insert-qdq'], { quantization, samples: 32 });
      const codes = artifacts.get(WEIGHT_CODES_ARTIFACT) as Map<string, ChosenWeightCodes>;
      expect([...codes.keys()].sort()).to.deep.equal(['conv.weight', 'fc.weight', 'mix.weight']);
      const max = 2 ** (bits - 1) - 1;
      for (const c of codes.values()) expect(Math.max(...Array.from(c.codes, Math.abs))).to.be.at.most(max);
      expect(reports.find((r) => r.name === 'round-weights')!.stats.layers).to.equal(3);
      const a = await agreement(serializeModel(float), serializeModel(plain), { samples: 16 });
      const b = await agreement(serializeModel(float), serializeModel(rounded), { samples: 16 });
      process.stdout.write(`      W${bits}A8 output SQNR: nearest ${a.sqnrDb.toFixed(2)} dB, GPTQ ${b.sqnrDb.toFixed(2)} dB\n`);
      expect(b.sqnrDb).to.be.above(a.sqnrDb + 0.5);
    }
  });
});
