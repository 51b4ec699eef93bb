import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataType } from '../compiler/ir/data-type.ts';
import type { Model } from '../compiler/ir/model.ts';
import { validateGraph } from '../compiler/ir/validate.ts';
import { loadModel, loadModelFromBuffer } from '../compiler/onnx/load.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { FR_FEATURE } from '../test/fixtures/real-models.ts';
import { agreement, quantize } from '../test/helpers/quantize.ts';
import { instrument } from '../runtime/model-runner.ts';
import { createSession, run } from '../runtime/session.ts';
import { seededFeeds } from '../runtime/evaluation/seeded-feeds.ts';

/** Conv - PRelu - depthwise Conv - residual Add - Relu - pool - Gemm: the shapes of a face network. */
function smallFaceNet(): Model {
  const b = new GraphBuilder({ opset: 13, seed: 11 });
  const x = b.input('input', [1, 3, 16, 16]);
  const c1 = b.prelu(b.conv(x, 3, 8, 3, { stride: 2, name: 'conv1' }), 8);
  const dw = b.prelu(b.conv(c1, 8, 8, 3, { group: 8, name: 'dw' }), 8);
  const pw = b.conv(dw, 8, 8, 1, { name: 'pw' });
  const sum = b.op('Relu', [b.op('Add', [c1, pw])]);
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [sum])]);
  b.output(b.op('Gemm', [pooled, b.randn('fc.weight', [16, 8], 0.5), b.randn('fc.bias', [16], 0.1)], { transB: 1 }, { name: 'fc' }), [1, 16]);
  return b.model;
}

function distinct(values: ArrayLike<number>): number {
  return new Set(Array.from(values)).size;
}

/** Dequantized values of every activation the model quantizes, on a few inputs. */
async function dequantizedActivations(bytes: Uint8Array): Promise<Map<string, Set<number>>> {
  const model = loadModelFromBuffer(bytes);
  const names = model.graph.nodes.toArray().filter((n) => n.opType === 'DequantizeLinear' && !n.input(0)!.isConstant).map((n) => n.output.name);
  const session = await createSession(instrument(model, names));
  const seen = new Map(names.map((n) => [n, new Set<number>()]));
  for (let i = 0; i < 4; i++) {
    const out = await run(session, seededFeeds(model, { seed: i, std: 3 }));
    for (const n of names) for (const v of out[n].data as Float32Array) seen.get(n)!.add(v);
  }
  return seen;
}

describe('insert-qdq', () => {
  it('emits a valid QDQ model: integer weights behind DequantizeLinear, int32 biases, one Q/DQ pair per activation', async () => {
    const { quantized, result } = await quantize(smallFaceNet());
    const m = loadModelFromBuffer(quantized);
    expect(validateGraph(m.graph)).to.deep.equal([]);
    expect(m.opsetVersion()).to.be.at.least(13);
    for (const conv of m.graph.nodes.toArray().filter((n) => n.opType === 'Conv' || n.opType === 'Gemm')) {
      const w = conv.input(1)!.producer!;
      expect(w.opType, conv.name).to.equal('DequantizeLinear');
      expect(w.input(0)!.constValue!.dataType).to.equal(DataType.INT8);
      expect(conv.input(2)!.producer!.input(0)!.constValue!.dataType).to.equal(DataType.INT32);
      expect(conv.input(0)!.producer!.opType).to.equal('DequantizeLinear');
    }
    // Each quantized tensor has exactly one QuantizeLinear, whatever its number of consumers.
    const quantizedInputs = m.graph.nodes.toArray().filter((n) => n.opType === 'QuantizeLinear').map((n) => n.input(0)!.name);
    expect(new Set(quantizedInputs).size).to.equal(quantizedInputs.length);
    expect(result.summary.layers.map((l) => l.node)).to.deep.equal(['conv1', 'dw', 'pw', 'fc']);
    expect(result.summary.floatOps).to.deep.equal({ PRelu: 2 });
    // The Relu after the residual Add folds into the integer Add: no Q/DQ between them.
    const relu = m.graph.nodes.toArray().find((n) => n.opType === 'Relu')!;
    expect(relu.input(0)!.producer!.opType).to.equal('Add');
  });

  it('keeps W8A8 outputs within cosine 0.99 of the float model on held-out inputs, fused and emulated', async () => {
    const { float, quantized } = await quantize(smallFaceNet(), { samples: 32 });
    const fused = await agreement(float, quantized, { samples: 16 });
    const emulated = await agreement(float, quantized, { samples: 16, session: { optimization: 'disabled' } });
    expect(fused.meanCosine).to.be.above(0.99);
    expect(emulated.meanCosine).to.be.above(0.99);
  });

  for (const [w, a] of [[8, 8], [6, 6], [4, 4], [8, 6], [4, 8]]) {
    it(`W${w}A${a}: weights hold at most 2^${w} codes and activations at most 2^${a} values`, async () => {
      const { quantized } = await quantize(smallFaceNet(), { quantization: { weightBits: w, actBits: a, target: 'vnni' } });
      const m = loadModelFromBuffer(quantized);
      const weights = m.graph.nodes.toArray().filter((n) => n.opType === 'DequantizeLinear' && n.input(0)!.isConstant && n.input(0)!.constValue!.dataType === DataType.INT8);
      expect(weights.length).to.equal(4);
      for (const dq of weights) {
        const codes = dq.input(0)!.constValue!.data as Int8Array;
        const max = 2 ** (w - 1) - 1;
        expect(Math.max(...codes), dq.name).to.be.at.most(max);
        expect(Math.min(...codes), dq.name).to.be.at.least(-max);
        expect(distinct(codes)).to.be.at.most(2 ** w);
        // Every channel uses its full range: the largest weight maps to +-max.
        expect(Math.max(...Array.from(codes, Math.abs))).to.equal(max);
      }
      for (const [name, values] of await dequantizedActivations(quantized)) {
        expect(values.size, name).to.be.at.most(2 ** a);
      }
    });
  }

  it('reduces W8 weights to 7-bit codes for the x86 target (u8s8 saturation) and keeps 8 for vnni', async () => {
    const x86 = loadModelFromBuffer((await quantize(smallFaceNet(), { quantization: { target: 'x86' } })).quantized);
    const vnni = loadModelFromBuffer((await quantize(smallFaceNet(), { quantization: { target: 'vnni' } })).quantized);
    const maxCode = (m: Model) => Math.max(...m.graph.nodes.toArray().filter((n) => n.opType === 'DequantizeLinear' && n.input(0)!.constValue?.dataType === DataType.INT8).flatMap((n) => Array.from(n.input(0)!.constValue!.data as Int8Array, Math.abs)));
    expect(maxCode(x86)).to.equal(63);
    expect(maxCode(vnni)).to.equal(127);
  });

  it('stores 4-bit weights as int4 when asked, raising the opset to 21', async () => {
    const { quantized, float } = await quantize(smallFaceNet(), { quantization: { weightBits: 4, packInt4: true } });
    const m = loadModelFromBuffer(quantized);
    expect(m.opsetVersion()).to.equal(21);
    const int4 = m.graph.initializers().filter((v) => v.constValue!.dataType === DataType.INT4 && v.constValue!.dims.length > 1);
    expect(int4).to.have.length(4);
    expect((await agreement(float, quantized)).meanCosine).to.be.above(0.8);
  });

  it('weight-only mode: integer weights, float activations, 4x smaller weights', async () => {
    const { quantized, float, result } = await quantize(smallFaceNet(), { quantization: { weightOnly: true } });
    const m = loadModelFromBuffer(quantized);
    expect(m.graph.nodes.toArray().filter((n) => n.opType === 'QuantizeLinear')).to.have.length(0);
    expect(result.summary.layers).to.have.length(4);
    expect((await agreement(float, quantized)).meanCosine).to.be.above(0.995);
  });

  it('honours exclusions and per-layer overrides', async () => {
    const { result, quantized } = await quantize(smallFaceNet(), {
      quantization: { exclude: ['fc'], layers: [{ match: '/^d/', weightBits: 4 }, { match: 'pw', weightBits: 6, actBits: 6 }], target: 'vnni' },
    });
    const bits = Object.fromEntries(result.summary.layers.map((l) => [l.node, l.weightBits]));
    expect(bits).to.deep.equal({ conv1: 8, dw: 4, pw: 6 });
    expect(result.summary.floatOps['Gemm (excluded)']).to.equal(1);
    const m = loadModelFromBuffer(quantized);
    expect(m.graph.value('fc.weight')!.constValue!.dataType).to.equal(DataType.FLOAT);
  });

  it('keeps the first and last weighted layer at 8 bits with keepFirstLast8Bit', async () => {
    const { result } = await quantize(smallFaceNet(), { quantization: { weightBits: 4, actBits: 4, keepFirstLast8Bit: true, target: 'vnni' } });
    expect(result.summary.layers.map((l) => `${l.node}:${l.weightBits}`)).to.deep.equal(['conv1:8', 'dw:4', 'pw:4', 'fc:8']);
  });

  it('quantizes PRelu slopes with the activation bits when asked (QuantFace)', async () => {
    const { quantized } = await quantize(smallFaceNet(), { quantization: { actBits: 6, quantizePReluSlope: true, target: 'vnni' } });
    const m = loadModelFromBuffer(quantized);
    const prelus = m.graph.nodes.toArray().filter((n) => n.opType === 'PRelu');
    expect(prelus).to.have.length(2);
    for (const p of prelus) {
      const dq = p.input(1)!.producer!;
      expect(dq.opType).to.equal('DequantizeLinear');
      const codes = dq.input(0)!.constValue!.data as Int8Array;
      expect(Math.max(...Array.from(codes, Math.abs))).to.equal(31);
    }
  });

  it('quantizes a probability output on [0, 1] whatever calibration saw', async () => {
    const b = new GraphBuilder({ opset: 13, seed: 4 });
    const x = b.input('x', [1, 8]);
    const logits = b.op('Gemm', [x, b.randn('w', [3, 8], 0.05)], { transB: 1 });
    b.output(b.op('Softmax', [logits], { axis: 1 }), [1, 3]);
    const m = loadModelFromBuffer((await quantize(b.model, { samples: 4 })).quantized);
    const q = m.graph.nodes.toArray().find((n) => n.opType === 'QuantizeLinear' && n.input(0)!.producer?.opType === 'Softmax')!;
    expect(q.input(1)!.constValue!.toFloat32()[0]).to.be.closeTo(1 / 255, 1e-9);
    expect(q.input(2)!.constValue!.toNumbers()[0]).to.equal(0);
  });

  describe('on fr_feature', () => {
    let quantized: Uint8Array;
    let float: Uint8Array;
    before(async function () {
      this.timeout(300_000);
      ({ quantized, float } = await quantize(loadModel(FR_FEATURE), { generator: 'faces', samples: 32, method: 'mse' }));
    });

    it('every quantized Conv becomes a QLinearConv in onnxruntime, and every Add a QLinearAdd', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qf-opt-'));
      const optimized = path.join(dir, 'optimized.onnx');
      await createSession(quantized, { optimizedModelPath: optimized });
      const ops = loadModel(optimized).graph.nodes.toArray().map((n) => n.opType);
      const count = (op: string) => ops.filter((o) => o === op).length;
      expect(count('QLinearConv')).to.equal(50);
      expect(count('Conv') + count('FusedConv')).to.equal(0);
      expect(count('QLinearAdd')).to.equal(12);
      expect(count('PRelu')).to.equal(33);
    });

    it('fused integer kernels and float emulation of the same model agree (reduce-range keeps u8s8 from saturating)', async () => {
      const fused = await agreement(float, quantized, { generator: 'faces', samples: 8 });
      const emulated = await agreement(float, quantized, { generator: 'faces', samples: 8, session: { optimization: 'disabled' } });
      process.stdout.write(`      fr_feature W8A8 (x86, 7-bit weights): cosine fused ${fused.meanCosine.toFixed(4)}, emulated ${emulated.meanCosine.toFixed(4)}\n`);
      expect(fused.meanCosine).to.be.above(0.98);
      expect(Math.abs(fused.meanCosine - emulated.meanCosine)).to.be.below(0.003);
    });

    it('runs in onnxruntime-web (WASM) with the same outputs as onnxruntime-node', async () => {
      const web = await import('onnxruntime-web');
      web.env.wasm.numThreads = 1;
      const session = await web.InferenceSession.create(quantized);
      const node = await createSession(quantized);
      const feeds = seededFeeds(loadModelFromBuffer(float), { seed: 'web', std: 0.5 });
      const expected = (await run(node, feeds)).output.data as Float32Array;
      const data = feeds.input.data as Float32Array;
      const got = (await session.run({ input: new web.Tensor('float32', data, [1, 3, 112, 112]) })).output.data as Float32Array;
      let dot = 0, a = 0, b = 0;
      for (let i = 0; i < got.length; i++) {
        dot += got[i] * expected[i];
        a += got[i] ** 2;
        b += expected[i] ** 2;
      }
      expect(dot / Math.sqrt(a * b)).to.be.above(0.999);
    });
  });
});
