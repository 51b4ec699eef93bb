// The main job as a user meets it: compile fr_feature at W8A8 on synthetic
// faces, then compare, verify and bench the result with the CLI.

import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import reportSchema from '../schemas/compile-report.schema.json' with { type: 'json' };
import { loadModel } from '../compiler/onnx/load.ts';
import { saveModel } from '../compiler/onnx/save.ts';
import { FR_FEATURE } from './fixtures/real-models.ts';
import { GraphBuilder } from './builders/graph-builder.ts';
import { expectOneLineError, quantface } from './helpers/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qf-e2e-'));
const out = path.join(dir, 'fr_feature.w8a8.onnx');
const report = path.join(dir, 'report.json');

describe('quantface compile, end to end', () => {
  let compiled: ReturnType<typeof quantface>;
  before(function () {
    this.timeout(300_000);
    compiled = quantface('compile', FR_FEATURE, '-o', out, '--samples', '64', '--report', report);
  });

  it('compiles fr_feature at W8A8 on synthetic faces and prints what it did', () => {
    expect(compiled.code, compiled.stderr).to.equal(0);
    expect(compiled.stderr).to.match(/weights: 50 layers \(50 at 8-bit \(7-bit codes\)\)/);
    expect(compiled.stderr).to.match(/activations: 97 tensors at 8-bit/);
    expect(compiled.stderr).to.match(/size on disk: 4\.66 MiB -> 1\.\d+ MiB/);
    expect(compiled.stderr).to.match(/time: cleanup .*calibrate .*bias-correct .*insert-qdq .*save/);
    expect(compiled.stderr).to.match(/warning: these ops stay float .*PRelu x33/);
  });

  it('writes a report that validates against its schema, with per-layer figures', () => {
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    const validate = new Ajv({ allErrors: true }).compile(reportSchema);
    expect(validate(json), JSON.stringify(validate.errors)).to.equal(true);
    expect(json.quantization.layers).to.have.length(50);
    expect(json.size.layers).to.have.length(50);
    expect(json.evaluation.layers.length).to.be.greaterThan(50);
    expect(json.calibration.generator.kind).to.equal('faces');
  });

  it('compare: the quantized model keeps mean cosine above 0.99 to the float embeddings on seeded synthetic faces', () => {
    const r = quantface('compare', FR_FEATURE, out, '--samples', '16', '--json', '--seed', '7');
    expect(r.code, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout);
    process.stdout.write(`      held-out faces: cosine ${json.outputs[0].meanCosine.toFixed(4)} (min ${json.outputs[0].minCosine.toFixed(4)})\n`);
    expect(json.outputs[0].meanCosine).to.be.above(0.99);
  });

  it('verify: the quantized model changes few decisions on synthetic identities', () => {
    const r = quantface('verify', FR_FEATURE, out, '--pairs', 'faces:30x3', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout);
    expect(json.models).to.have.length(2);
    expect(json.models[0].best.accuracy).to.be.above(0.85);
    expect(json.models[1].agreement.atReferenceThreshold).to.be.above(0.97);
  });

  it('bench: reports medians, p90 and ratios from one run', () => {
    const r = quantface('bench', FR_FEATURE, out, '--runs', '5', '--warmup', '1', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout);
    expect(json.results[0].ratio).to.equal(1);
    expect(json.results[1].medianMs).to.be.greaterThan(0);
    expect(json.results[1].p90Ms).to.be.at.least(json.results[1].medianMs);
  });

  describe('bad input', () => {
    it('a scheme that does not parse', () => expectOneLineError(quantface('compile', FR_FEATURE, '-o', path.join(dir, 'x.onnx'), '--scheme', 'int8'), /scheme 'int8' does not parse/));
    it('bits out of range', () => expectOneLineError(quantface('compile', FR_FEATURE, '-o', path.join(dir, 'x.onnx'), '--scheme', 'w1a8'), /weight bits must be an integer from 2 to 16, got 1/));
    it('a config with a bad field names it', () => {
      const config = path.join(dir, 'bad.json');
      fs.writeFileSync(config, JSON.stringify({ layers: [{ match: 'Conv_0', weightBits: 40 }] }));
      expectOneLineError(quantface('compile', FR_FEATURE, '-o', path.join(dir, 'x.onnx'), '--config', config), /config '.*bad\.json': layers\.0\.weightBits: must be <= 16/);
    });
    it('an unknown generator', () => expectOneLineError(quantface('compile', FR_FEATURE, '-o', path.join(dir, 'x.onnx'), '--calib', 'noise'), /unknown input generator 'noise'/));

    it('a model with no quantizable op is written unchanged, with a warning', () => {
      const b = new GraphBuilder({ opset: 13 });
      b.output(b.op('Tanh', [b.op('Exp', [b.input('x', [1, 3, 8, 8])])]), [1, 3, 8, 8]);
      const input = path.join(dir, 'float-only.onnx');
      saveModel(b.model, input);
      const output = path.join(dir, 'float-only.q.onnx');
      const r = quantface('compile', input, '-o', output, '--calib', 'gaussian', '--samples', '4');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/no op of this model can be quantized; wrote it unchanged/);
      expect(Buffer.compare(fs.readFileSync(input), fs.readFileSync(output))).to.equal(0);
    });

    it('unsupported ops stay float with a warning listing them', () => {
      const b = new GraphBuilder({ opset: 13 });
      const x = b.input('x', [1, 3, 8, 8]);
      b.output(b.op('Tanh', [b.op('Erf', [b.conv(x, 3, 4, 3)])]), [1, 4, 8, 8]);
      const input = path.join(dir, 'mixed.onnx');
      saveModel(b.model, input);
      const r = quantface('compile', input, '-o', path.join(dir, 'mixed.q.onnx'), '--calib', 'gaussian', '--samples', '4', '--evaluate', '2');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/these ops stay float .*Erf x1.*Tanh x1/);
      expect(loadModel(path.join(dir, 'mixed.q.onnx')).graph.nodes.toArray().some((n) => n.opType === 'QuantizeLinear')).to.equal(true);
    });
  });
});
