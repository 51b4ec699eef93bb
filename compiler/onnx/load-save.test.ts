import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphBuilder } from '../../test/builders/graph-builder.ts';
import { createSession, run, ort } from '../../runtime/session.ts';
import { Attribute } from '../ir/attribute.ts';
import { DataType } from '../ir/data-type.ts';
import { Tensor } from '../ir/tensor.ts';
import { UserError } from '../errors.ts';
import { loadModel, loadModelFromBuffer } from './load.ts';
import { ModelProto } from './proto-schema.ts';
import { saveModel, serializeModel } from './save.ts';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'quantface-test-'));
}

function convModel() {
  const b = new GraphBuilder({ opset: 13, seed: 3 });
  const x = b.input('x', [1, 3, 8, 8]);
  const y = b.conv(x, 3, 16, 3, { name: 'conv' });
  b.output(b.op('Relu', [y]), [1, 16, 8, 8]);
  return b.model;
}

async function outputsOf(model: Parameters<typeof createSession>[0]): Promise<Float32Array> {
  const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 192 }, (_, i) => Math.sin(i)), [1, 3, 8, 8]) };
  const session = await createSession(model);
  const out = await run(session, feeds);
  return out[session.outputNames[0]].data as Float32Array;
}

function expectUserError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    expect((e as Error).message).to.match(pattern);
    expect((e as Error).message).to.not.include('\n');
    return;
  }
  expect.fail('expected a UserError');
}

describe('ONNX load and save', () => {
  it('round-trips a built model with identical outputs and bytes', async () => {
    const m = convModel();
    const bytes = serializeModel(m);
    const again = serializeModel(loadModelFromBuffer(bytes));
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(again))).to.equal(0);
    expect(await outputsOf(bytes)).to.deep.equal(await outputsOf(again));
  });

  it('keeps raw data as a view on the file buffer', () => {
    const bytes = Buffer.from(serializeModel(convModel()));
    const m = loadModelFromBuffer(bytes);
    const raw = m.graph.value('conv.weight')!.constValue!.rawData;
    expect(raw.buffer).to.equal(bytes.buffer);
  });

  it('writes and reads external data, page-aligned, and onnxruntime runs it', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'm.onnx');
    const m = convModel();
    const result = saveModel(m, file, { externalData: { minTensorBytes: 0 } });
    expect(fs.existsSync(`${file}.data`)).to.equal(true);
    expect(result.externalBytes).to.be.greaterThan(1700);
    expect(fs.statSync(file).size).to.be.lessThan(1000);
    const loaded = loadModel(file);
    expect(await outputsOf(file)).to.deep.equal(await outputsOf(serializeModel(convModel())));
    expect(await outputsOf(serializeModel(loaded))).to.deep.equal(await outputsOf(file));
  });

  it('names a missing or short external data file in one line', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'm.onnx');
    saveModel(convModel(), file, { externalData: { minTensorBytes: 0 } });
    const data = fs.readFileSync(`${file}.data`);
    fs.writeFileSync(`${file}.data`, data.subarray(0, 100));
    expectUserError(() => loadModel(file), /external data file 'm\.onnx\.data' is too short: tensor 'conv\.(weight|bias)' needs bytes/);
    fs.rmSync(`${file}.data`);
    expectUserError(() => loadModel(file), /external data file 'm\.onnx\.data' of tensor .* cannot be read: no such file/);
  });

  it('packs INT4 two to a byte, low nibble first, and unpacks them back', () => {
    const codes = Int8Array.from([-8, 7, 0, -1, 3]);
    const t = Tensor.fromTyped(DataType.INT4, [5], codes);
    expect([...t.rawData]).to.deep.equal([0x78, 0xf0, 0x03]);
    const b = new GraphBuilder({ opset: 21 });
    const w = b.init('w', t);
    const x = b.input('x', [5]);
    b.output(b.op('Add', [x, b.op('DequantizeLinear', [w, b.floats('s', [], [0.5])])]));
    const back = loadModelFromBuffer(serializeModel(b.model)).graph.value('w')!.constValue!;
    expect([...(back.data as Int8Array)]).to.deep.equal([...codes]);
  });

  it('keeps float16 bit patterns, int64 beyond 2^53 and strings exactly', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [4]);
    b.init('half', Tensor.fromTyped(DataType.FLOAT16, [3], Uint16Array.from([0x3c00, 0x7e00, 0x8001])));
    b.init('names', Tensor.fromStrings([2], [new TextEncoder().encode('a'), new TextEncoder().encode('ß')]));
    const y = b.op('Slice', [x], { starts: [1], ends: Attribute.ints('ends', [2n ** 63n - 1n]) });
    b.output(y);
    b.model.graph.addNode({ opType: 'Identity', inputs: [b.graph.value('half')!] });
    const m = loadModelFromBuffer(serializeModel(b.model));
    expect([...(m.graph.value('half')!.constValue!.data as Uint16Array)]).to.deep.equal([0x3c00, 0x7e00, 0x8001]);
    expect(new TextDecoder().decode(m.graph.value('names')!.constValue!.stringData[1])).to.equal('ß');
    expect(y.producer!.attr('ends')!.value).to.deep.equal([2n ** 63n - 1n]);
    expect(m.graph.outputs[0].producer!.attr('ends')!.value).to.deep.equal([2n ** 63n - 1n]);
  });

  it('keeps what it does not model: metadata, doc strings, value_info, unknown domains, initializers as inputs', () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [2]);
    const w = b.floats('w', [2], [1, 2]);
    b.graph.inputs.push(w);
    const y = b.op('Mul', [x, w]);
    y.type = { tensor: { elemType: DataType.FLOAT, shape: ['n'] } };
    const z = b.op('Custom', [y], { alpha: 0.5 }, { domain: 'com.example' });
    b.output(z);
    b.model.opsetImports.set('com.example', 1);
    b.model.metadataProps = [{ key: 'author', value: 'quantface' }];
    b.model.docString = 'doc';
    b.graph.docString = 'graph doc';
    const m = loadModelFromBuffer(serializeModel(b.model));
    expect(m.metadataProps).to.deep.equal([{ key: 'author', value: 'quantface' }]);
    expect(m.docString).to.equal('doc');
    expect(m.graph.docString).to.equal('graph doc');
    expect(m.graph.inputs.map((v) => v.name)).to.deep.equal(['x', 'w']);
    expect(m.graph.value('w')!.isInitializer).to.equal(true);
    expect(m.graph.value(y.name)!.shape).to.deep.equal(['n']);
    const custom = m.graph.outputs[0].producer!;
    expect(custom.domain).to.equal('com.example');
    expect(custom.getFloat('alpha')).to.equal(0.5);
    expect(m.opsetVersion('com.example')).to.equal(1);
  });

  it('keeps If subgraphs, their reads of outer values, and follows renames of those values', async () => {
    const thenBranch = {
      name: 'then', node: [{ input: ['outer'], output: ['t'], opType: 'Neg' }],
      output: [{ name: 't', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }],
    };
    const elseBranch = {
      name: 'else', node: [{ input: ['outer'], output: ['e'], opType: 'Identity' }],
      output: [{ name: 'e', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }],
    };
    const b = new GraphBuilder({ opset: 13 });
    b.input('cond', [], DataType.BOOL);
    const x = b.input('x', [2]);
    const outer = b.op('Relu', [x], {}, { name: 'relu' });
    outer.name = 'outer';
    const proto = ModelProto.decode(serializeModel(b.model)).toJSON();
    proto.graph.node.push({ input: ['cond'], output: ['y'], opType: 'If', attribute: [
      { name: 'then_branch', type: 'GRAPH', g: thenBranch }, { name: 'else_branch', type: 'GRAPH', g: elseBranch }] });
    proto.graph.output = [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }];
    const m = loadModelFromBuffer(ModelProto.encode(ModelProto.fromObject(proto)).finish());
    const ifNode = m.graph.outputs[0].producer!;
    expect(ifNode.implicitInputs.map((e) => e.name)).to.deep.equal(['outer']);
    expect(m.graph.value('outer')!.uses.some((u) => u.index === -1)).to.equal(true);
    m.graph.value('outer')!.name = 'outer_renamed';
    const session = await createSession(serializeModel(m));
    const feeds = { cond: new ort.Tensor('bool', [true], []), x: new ort.Tensor('float32', Float32Array.from([-1, 2]), [2]) };
    expect([...((await run(session, feeds)).y.data as Float32Array)]).to.deep.equal([-0, -2]);
  });

  describe('bad input: one line, no stack', () => {
    const dir = tmpDir();
    const valid = serializeModel(convModel());

    it('a missing file', () => expectUserError(() => loadModel(path.join(dir, 'nope.onnx')), /cannot read .*no such file/));
    it('an empty file', () => {
      fs.writeFileSync(path.join(dir, 'empty.onnx'), '');
      expectUserError(() => loadModel(path.join(dir, 'empty.onnx')), /is empty: not an ONNX model/);
    });
    it('a truncated model', () => {
      fs.writeFileSync(path.join(dir, 'cut.onnx'), valid.subarray(0, Math.floor(valid.length * 0.6)));
      expectUserError(() => loadModel(path.join(dir, 'cut.onnx')), /not a valid ONNX model|needs .* bytes/);
    });
    it('random bytes', () => {
      const bytes = new Uint8Array(4096);
      for (let i = 0, s = 7; i < bytes.length; i++) bytes[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
      fs.writeFileSync(path.join(dir, 'random.onnx'), bytes);
      expectUserError(() => loadModel(path.join(dir, 'random.onnx')), /not a valid ONNX model|not an ONNX model/);
    });
    it('a graph with a cycle', () => {
      const proto = ModelProto.decode(valid).toJSON();
      proto.graph.node = [
        { input: ['b'], output: ['a'], opType: 'Relu', name: 'first' },
        { input: ['a'], output: ['b'], opType: 'Relu', name: 'second' },
      ];
      proto.graph.output = [{ name: 'b' }];
      expectUserError(() => loadModelFromBuffer(ModelProto.encode(ModelProto.fromObject(proto)).finish()), /cycle through Relu/);
    });
    it('a node input that nothing produces', () => {
      const proto = ModelProto.decode(valid).toJSON();
      proto.graph.node[0].input[0] = 'ghost';
      expectUserError(() => loadModelFromBuffer(ModelProto.encode(ModelProto.fromObject(proto)).finish()), /input 'ghost' of Conv 'conv' is not produced/);
    });
  });

  describe('writing', () => {
    it('is atomic, leaves no temporary file, and refuses to overwrite the input', () => {
      const dir = tmpDir();
      const file = path.join(dir, 'a.onnx');
      saveModel(convModel(), file);
      expect(fs.readdirSync(dir)).to.deep.equal(['a.onnx']);
      const before = fs.readFileSync(file);
      const loaded = loadModel(file);
      expectUserError(() => saveModel(loaded, file), /refusing to overwrite the input model/);
      expectUserError(() => saveModel(loaded, path.join(dir, '.', 'a.onnx')), /refusing to overwrite/);
      expect(Buffer.compare(before, fs.readFileSync(file))).to.equal(0);
      expectUserError(() => saveModel(loaded, path.join(dir, 'missing-dir', 'b.onnx')), /does not exist/);
    });
  });
});
