import { expect } from 'chai';
import type { Model } from '../compiler/ir/model.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { runWithServices } from '../test/helpers/pass-services.ts';
import { agreement } from '../test/helpers/quantize.ts';
import { QUANTIZATION_SUMMARY_ARTIFACT, QuantizationSummary } from './insert-qdq.ts';
import { MIXED_PRECISION_ARTIFACT, MIXED_PRECISION_OPTION, MixedPrecisionChoice, SENSITIVITY_ARTIFACT, LayerSensitivity } from './mixed-precision.ts';

function net(): Model {
  const b = new GraphBuilder({ opset: 13, seed: 9 });
  let v = b.input('x', [1, 3, 10, 10]);
  let c = 3;
  for (const [i, out] of [8, 16, 16, 8].entries()) {
    v = b.prelu(b.conv(v, c, out, 3, { name: `conv${i}` }), out);
    c = out;
  }
  b.output(v, [1, 8, 10, 10]);
  return b.model;
}

const weights = (m: Model) => ['conv0', 'conv1', 'conv2', 'conv3'].map((n) => m.graph.nodes.toArray().find((x) => x.name === n)!.input(1)!.constValue!.size);

describe('sensitivity and mixed precision', () => {
  it('ranks layers by the SQNR drop of lowering each alone', async () => {
    const { artifacts } = await runWithServices(net(), ['calibrate', 'sensitivity'], { quantization: { weightBits: 3, actBits: 4 } });
    const { layers } = artifacts.get(SENSITIVITY_ARTIFACT) as { layers: LayerSensitivity[] };
    expect(layers.map((l) => l.node)).to.deep.equal(['conv0', 'conv1', 'conv2', 'conv3']);
    for (const l of layers) expect(l.sqnrDropDb, l.node).to.be.above(0);
  });

  it('meets a size budget (params x bits / 8) with the least sensitive layers lowered', async () => {
    const model = net();
    const sizes = weights(model);
    const all8 = sizes.reduce((a, b) => a + b, 0);
    const budget = (all8 * 8) / 8 - (sizes[1] * (8 - 4)) / 8; // room to lower about one big layer
    const { artifacts } = await runWithServices(model, ['calibrate', 'mixed-precision', 'insert-qdq'], {
      quantization: { weightBits: 4, actBits: 8 },
      passOptions: [[MIXED_PRECISION_OPTION, { sizeBudgetBytes: budget }]],
    });
    const choice = artifacts.get(MIXED_PRECISION_ARTIFACT) as MixedPrecisionChoice;
    expect(choice.sizeBytes).to.be.at.most(budget);
    const summary = artifacts.get(QUANTIZATION_SUMMARY_ARTIFACT) as QuantizationSummary;
    const emitted = summary.layers.reduce((s, l) => s + (l.parameters * l.weightBits) / 8, 0);
    expect(emitted).to.equal(choice.sizeBytes);
    expect(summary.layers.some((l) => l.weightBits === 4)).to.equal(true);
  });

  it('lowers as many layers as keep a minimum cosine, and the emitted model keeps it', async () => {
    const model = net();
    const float = serializeModel(model);
    const { artifacts } = await runWithServices(model, ['calibrate', 'mixed-precision', 'insert-qdq'], {
      quantization: { weightBits: 3, actBits: 4 },
      passOptions: [[MIXED_PRECISION_OPTION, { minCosine: 0.99 }]],
    });
    const choice = artifacts.get(MIXED_PRECISION_ARTIFACT) as MixedPrecisionChoice;
    expect(choice.cosine).to.be.at.least(0.99);
    const measured = await agreement(float, serializeModel(model), { samples: 16, seed: 'test:evaluation' });
    expect(measured.meanCosine).to.be.closeTo(choice.cosine, 0.002);
  });
});
