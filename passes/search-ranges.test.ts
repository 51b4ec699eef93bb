import { expect } from 'chai';
import type { Model } from '../compiler/ir/model.ts';
import { loadModelFromBuffer } from '../compiler/onnx/load.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { runWithServices } from '../test/helpers/pass-services.ts';
import { agreement } from '../test/helpers/quantize.ts';
import { RANGES_ARTIFACT, RANGE_METHOD_OPTION } from './quantize/activation-ranges.ts';
import type { QuantizationRange } from '../runtime/calibration/range-methods.ts';

function net(): Model {
  const b = new GraphBuilder({ opset: 13, seed: 13 });
  let v = b.input('x', [1, 3, 10, 10]);
  let c = 3;
  for (const [i, out] of [8, 8, 8].entries()) {
    v = b.prelu(b.conv(v, c, out, 3, { name: `conv${i}` }), out);
    c = out;
  }
  b.output(b.conv(v, 8, 4, 1, { name: 'head' }), [1, 4, 10, 10]);
  return b.model;
}

describe('search-ranges', () => {
  it('chooses a range for every quantized activation by downstream error, and beats a per-tensor method at 4 bits', async () => {
    const quantization = { weightBits: 8, actBits: 4, target: 'vnni' as const };
    const float = net();
    const bytes = serializeModel(float);
    const plain = loadModelFromBuffer(bytes);
    await runWithServices(plain, ['calibrate', 'insert-qdq'], { quantization, samples: 32, passOptions: [[RANGE_METHOD_OPTION, { method: 'minmax' }]] });
    const searched = loadModelFromBuffer(bytes);
    const { artifacts, reports } = await runWithServices(searched, ['calibrate', 'search-ranges', 'insert-qdq'], { quantization, samples: 32, passOptions: [[RANGE_METHOD_OPTION, { method: 'minmax' }]] });
    const ranges = artifacts.get(RANGES_ARTIFACT) as Map<string, QuantizationRange>;
    const quantizedTensors = searched.graph.nodes.toArray().filter((n) => n.opType === 'QuantizeLinear').map((n) => n.input(0)!.name);
    for (const t of quantizedTensors) expect(ranges.has(t) || ranges.has(t.replace(/_float$/, '')), t).to.equal(true);
    const stats = reports.find((r) => r.name === 'search-ranges')!.stats;
    expect(stats.tensors).to.equal(ranges.size);
    const a = await agreement(bytes, serializeModel(plain), { samples: 16 });
    const b = await agreement(bytes, serializeModel(searched), { samples: 16 });
    process.stdout.write(`      W8A4 output SQNR: minmax ${a.sqnrDb.toFixed(2)} dB, searched ${b.sqnrDb.toFixed(2)} dB (${Object.entries(stats).filter(([k]) => k.startsWith('chose')).map(([k, n]) => `${k.slice(6)} x${n}`).join(', ')})\n`);
    expect(b.sqnrDb).to.be.above(a.sqnrDb);
  });
});
