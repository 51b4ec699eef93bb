import { expect } from 'chai';
import type { Model } from '../compiler/ir/model.ts';
import { loadModelFromBuffer } from '../compiler/onnx/load.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { runWithServices } from '../test/helpers/pass-services.ts';
import { createCalibrationGenerator } from '../compiler/pipeline/compile.ts';
import { PRESETS } from '../runtime/generators/preprocessing.ts';
import { instrument, modelInput } from '../runtime/model-runner.ts';
import { createSession, run, ort } from '../runtime/session.ts';
import { independentStages } from './bias-correct.ts';

/** Conv -> Relu -> depthwise Conv -> Conv, at a width where 4-bit weights shift the means a lot. */
function net(): Model {
  const b = new GraphBuilder({ opset: 13, seed: 21 });
  const x = b.input('x', [1, 4, 12, 12]);
  const a = b.op('Relu', [b.conv(x, 4, 16, 3, { name: 'c1' })]);
  const d = b.op('Relu', [b.conv(a, 16, 16, 3, { group: 16, name: 'dw' })]);
  b.output(b.conv(d, 16, 8, 1, { name: 'c3' }), [1, 8, 12, 12]);
  return b.model;
}

/** Per-channel mean error of each conv output, quantized vs float, on the calibration inputs. */
async function meanErrors(float: Model, quantized: Model): Promise<number> {
  const names = ['c1_output', 'dw_output', 'c3_output'].filter((n) => quantized.graph.value(n));
  const gen = await createCalibrationGenerator(float, { generator: 'gaussian', samples: 16, seed: 'test', preprocessing: PRESETS.arcface });
  const input = modelInput(float);
  const a = await createSession(instrument(float, names)), b = await createSession(instrument(quantized, names));
  let worst = 0;
  const sums = new Map<string, Float64Array>();
  for (let i = 0; i < 16; i++) {
    const data = new Float32Array(4 * 12 * 12);
    gen.sample(i, data);
    const feeds = { x: new ort.Tensor('float32', data, [1, ...input.sampleDims]) };
    const [ra, rb] = [await run(a, feeds), await run(b, feeds)];
    for (const n of names) {
      const fa = ra[n].data as Float32Array, fb = rb[n].data as Float32Array;
      const c = ra[n].dims[1] as number, inner = fa.length / c;
      const acc = sums.get(n) ?? new Float64Array(c);
      for (let k = 0; k < fa.length; k++) acc[Math.floor(k / inner)] += (fb[k] - fa[k]) / inner / 16;
      sums.set(n, acc);
    }
  }
  for (const acc of sums.values()) for (const v of acc) worst = Math.max(worst, Math.abs(v));
  return worst;
}

describe('bias-correct', () => {
  it('brings the mean output error of every quantized layer near zero on the calibration set', async () => {
    const quantization = { weightBits: 4, actBits: 8, target: 'vnni' as const };
    const float = net();
    const plain = loadModelFromBuffer(serializeModel(float));
    await runWithServices(plain, ['calibrate', 'insert-qdq'], { quantization });
    const corrected = loadModelFromBuffer(serializeModel(float));
    const { reports } = await runWithServices(corrected, ['calibrate', 'bias-correct', 'insert-qdq'], { quantization });
    expect(reports.find((r) => r.name === 'bias-correct')!.stats).to.deep.equal({ layers: 3, stages: 3 });
    const before = await meanErrors(float, plain);
    const after = await meanErrors(float, corrected);
    process.stdout.write(`      largest per-channel mean error: ${before.toFixed(4)} plain, ${after.toFixed(4)} corrected\n`);
    expect(after).to.be.below(before / 4);
  });

  it('never puts a layer in the same stage as one it depends on', () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [1, 2, 4, 4]);
    const left = b.conv(x, 2, 2, 1, { name: 'left' });
    const right = b.conv(x, 2, 2, 1, { name: 'right' });
    const joined = b.conv(b.op('Add', [left, right]), 2, 2, 1, { name: 'joined' });
    b.output(joined);
    const layers = b.graph.nodes.toArray().filter((n) => n.opType === 'Conv');
    expect(independentStages(layers).map((s) => s.map((n) => n.name))).to.deep.equal([['left', 'right'], ['joined']]);
  });
});
