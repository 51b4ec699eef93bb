import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serializeModel } from '../compiler/onnx/save.ts';
import { ModelProto } from '../compiler/onnx/proto-schema.ts';
import { GraphBuilder } from './builders/graph-builder.ts';
import { FR_FEATURE, OCR_CLS } from './fixtures/real-models.ts';
import { expectOneLineError, quantface } from './helpers/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qf-cli-'));

describe('quantface CLI', () => {
  it('inspect prints opsets, interface, op histogram and parameters; --json is machine-readable', () => {
    const text = quantface('inspect', FR_FEATURE);
    expect(text.code).to.equal(0);
    expect(text.stdout).to.match(/opsets ai\.onnx 9/);
    expect(text.stdout).to.match(/input  input: float32\[1, 3, 112, 112\]/);
    expect(text.stdout).to.match(/Conv\s+50/);
    expect(text.stdout).to.match(/not quantized/);
    const json = JSON.parse(quantface('inspect', OCR_CLS, '--json').stdout);
    expect(json.batchNormalization).to.equal(35);
    expect(json.inputs[0].shape[1]).to.equal(3);
    expect(json.parameters.total).to.be.greaterThan(100_000);
  });

  it('optimize runs the cleanup pipeline, prints per-pass timing and writes a model without BatchNormalization', () => {
    const out = path.join(dir, 'cls.onnx');
    const r = quantface('optimize', OCR_CLS, '-o', out);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/fold-batchnorm\s+[\d.]+ ms\s+yes/);
    expect(JSON.parse(quantface('inspect', out, '--json').stdout).batchNormalization).to.equal(0);
  });

  it('optimize --passes, --plugin, --print-ir-after and --verify work together', () => {
    const out = path.join(dir, 'plugin.onnx');
    const r = quantface('optimize', OCR_CLS, '-o', out, '--passes', 'lift-constants,fold-constants,fold-batchnorm', '--plugin', 'examples/plugins/remove-multiply-by-one.js', '--print-ir-after', 'fold-batchnorm', '--verify');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/----- IR after fold-batchnorm -----/);
    expect(r.stdout).to.match(/= Conv\(/);
    expect(r.stderr).to.match(/verify fold-batchnorm: max abs diff/);
    expect(r.stderr).to.match(/remove-multiply-by-one/);
  });

  describe('bad input: one line, non-zero exit', () => {
    const valid = serializeModel(new GraphBuilder().model);
    it('a missing file', () => expectOneLineError(quantface('inspect', path.join(dir, 'none.onnx')), /no such file/));
    it('an empty file', () => {
      fs.writeFileSync(path.join(dir, 'empty.onnx'), '');
      expectOneLineError(quantface('inspect', path.join(dir, 'empty.onnx')), /empty/);
    });
    it('a truncated model', () => {
      const bytes = fs.readFileSync(FR_FEATURE);
      fs.writeFileSync(path.join(dir, 'cut.onnx'), bytes.subarray(0, bytes.length >> 1));
      expectOneLineError(quantface('inspect', path.join(dir, 'cut.onnx')), /not a valid ONNX model/);
    });
    it('random bytes', () => {
      fs.writeFileSync(path.join(dir, 'random.onnx'), Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919) % 251)));
      expectOneLineError(quantface('inspect', path.join(dir, 'random.onnx')), /not (a valid )?an? ONNX model|not a valid ONNX model/);
    });
    it('a graph with a cycle', () => {
      const proto = ModelProto.decode(valid).toJSON();
      proto.graph = { node: [{ input: ['b'], output: ['a'], opType: 'Relu' }, { input: ['a'], output: ['b'], opType: 'Relu' }], output: [{ name: 'b' }] };
      fs.writeFileSync(path.join(dir, 'cycle.onnx'), ModelProto.encode(ModelProto.fromObject(proto)).finish());
      expectOneLineError(quantface('inspect', path.join(dir, 'cycle.onnx')), /cycle/);
    });
    it('a node input that nothing produces', () => {
      const proto = ModelProto.decode(valid).toJSON();
      proto.graph = { node: [{ input: ['ghost'], output: ['a'], opType: 'Relu', name: 'r' }], output: [{ name: 'a' }] };
      fs.writeFileSync(path.join(dir, 'ghost.onnx'), ModelProto.encode(ModelProto.fromObject(proto)).finish());
      expectOneLineError(quantface('inspect', path.join(dir, 'ghost.onnx')), /input 'ghost' of Relu 'r' is not produced/);
    });
    it('an unknown pass lists the valid ones', () => expectOneLineError(quantface('optimize', OCR_CLS, '-o', path.join(dir, 'x.onnx'), '--passes', 'fold-everything'), /unknown pass 'fold-everything'; valid passes: .*fold-batchnorm/));
    it('an output path equal to the input', () => {
      const copy = path.join(dir, 'same.onnx');
      fs.copyFileSync(OCR_CLS, copy);
      const before = fs.readFileSync(copy);
      expectOneLineError(quantface('optimize', copy, '-o', copy), /refusing to overwrite the input model/);
      expect(Buffer.compare(before, fs.readFileSync(copy))).to.equal(0);
    });
    it('an external-data file that is missing', () => {
      const ext = path.join(dir, 'ext');
      fs.mkdirSync(ext, { recursive: true });
      const r = quantface('optimize', OCR_CLS, '-o', path.join(ext, 'm.onnx'), '--passes', 'lift-constants', '--external-data');
      expect(r.code, r.stderr).to.equal(0);
      fs.rmSync(path.join(ext, 'm.onnx.data'));
      expectOneLineError(quantface('inspect', path.join(ext, 'm.onnx')), /external data file 'm\.onnx\.data' of tensor .* cannot be read: no such file/);
    });
    it('an unknown flag', () => expectOneLineError(quantface('inspect', FR_FEATURE, '--frobnicate'), /Unknown argument/));
  });
});
