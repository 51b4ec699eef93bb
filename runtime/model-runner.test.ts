import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../compiler/errors.ts';
import type { Model } from '../compiler/ir/model.ts';
import { floatActivations } from '../passes/quantize/float-activations.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { buildCalibrationConvNet } from '../test/builders/calibration-models.ts';
import { calibrate, CalibrationResult } from './calibration/calibration-runner.ts';
import { createInputGenerator, InputGenerator } from './generators/input-generator.ts';
import { modelInput, RunPlan, watchTensors } from './model-runner.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

function gaussian(seed: number | string = 1): Promise<InputGenerator> {
  return createInputGenerator('gaussian', { seed, sampleDims: [3, 16, 16] });
}

/** Wraps a generator to record which sample indices it was asked for. */
function recording(g: InputGenerator): InputGenerator & { asked: number[] } {
  const asked: number[] = [];
  return { description: g.description, asked, sample: (i, out) => { asked.push(i); return g.sample(i, out); } };
}

function statsJSON(r: CalibrationResult): Record<string, unknown> {
  return Object.fromEntries([...r.tensors].map(([name, s]) => [name, s.toJSON()]));
}

describe('model runner', function () {
  this.timeout(60_000);
  let dynamic: Model;
  let single: Model;
  before(async () => {
    dynamic = await buildCalibrationConvNet({ batch: 'dynamic' });
    single = await buildCalibrationConvNet({ batch: 1 });
  });

  describe('modelInput', () => {
    it('reads the per-sample dims and whether the batch is dynamic', () => {
      expect(modelInput(dynamic)).to.deep.equal({ name: 'x', sampleDims: [3, 16, 16], dynamicBatch: true });
      expect(modelInput(single)).to.deep.equal({ name: 'x', sampleDims: [3, 16, 16], dynamicBatch: false });
    });

    it('a symbolic non-batch dimension needs a size; given one, it is used', () => {
      const b = new GraphBuilder({ opset: 13 });
      b.output(b.op('Relu', [b.input('x', ['batch', 3, 'height', 16])]));
      expect(() => modelInput(b.model)).to.throw(UserError, /input 'x' dimension 2 is not fixed \(height\)/);
      expect(modelInput(b.model, { height: 24 }).sampleDims).to.deep.equal([3, 24, 16]);
    });
  });

  describe('batching', () => {
    it('a dynamic batch runs in batches of batchSize, visiting every sample once, in order, with its own data', async () => {
      const g = recording(await gaussian());
      const progress: [number, number][] = [];
      const visited: number[] = [];
      const plan: RunPlan = { generator: g, samples: 20, firstSample: 3, batchSize: 8, onProgress: (done, total) => progress.push([done, total]) };
      await watchTensors(dynamic, ['x', 'relu2_output'], plan, async (sample, index) => {
        visited.push(index);
        const x = sample.get('x')!;
        expect(x.dims).to.deep.equal([1, 3, 16, 16]);
        expect(sample.get('relu2_output')!.dims).to.deep.equal([1, 8, 16, 16]);
        // The input the model saw for this sample is the generator's sample `index`.
        const expected = new Float32Array(3 * 16 * 16);
        await g.sample(index, expected);
        expect(Buffer.compare(Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength), Buffer.from(expected.buffer))).to.equal(0);
      });
      // One progress report per onnxruntime call: 8 + 8 + 4 samples.
      expect(progress).to.deep.equal([[8, 20], [16, 20], [20, 20]]);
      expect(visited).to.deep.equal(Array.from({ length: 20 }, (_, i) => 3 + i));
    });

    it('a model with a fixed batch of 1 runs sample by sample, whatever batchSize asks', async () => {
      const progress: number[] = [];
      await watchTensors(single, ['relu1_output'], { generator: await gaussian(), samples: 5, batchSize: 8, onProgress: (done) => progress.push(done) }, (sample) => {
        expect(sample.get('relu1_output')!.dims).to.deep.equal([1, 8, 16, 16]);
      });
      expect(progress).to.deep.equal([1, 2, 3, 4, 5]);
    });

    it('batched and sample-by-sample runs give the same histograms and global extremes', async () => {
      const generator = await gaussian();
      const batched = await calibrate(dynamic, { generator, samples: 20, batchSize: 8 });
      const one = await calibrate(dynamic, { generator, samples: 20, batchSize: 1 });
      for (const [name, s] of batched.tensors) {
        const t = one.tensors.get(name)!;
        expect(s.histogram.toJSON(), name).to.deep.equal(t.histogram.toJSON());
        expect([s.minmax.min, s.minmax.max], name).to.deep.equal([t.minmax.min, t.minmax.max]);
      }
    });
  });

  describe('memory budget', () => {
    it('splits the watched tensors into groups, one pass each, with statistics equal to a single group', async () => {
      const generator = await gaussian(2);
      const names = floatActivations(dynamic);
      expect(names).to.have.length(7);
      const totals = new Set<number>();
      const run = (memoryBudgetBytes?: number) => calibrate(dynamic, { generator, samples: 12, batchSize: 4, memoryBudgetBytes, onProgress: (_d, total) => totals.add(total) });

      const whole = await run();
      expect([...totals]).to.deep.equal([12]);

      // One byte: every tensor is a group of its own.
      totals.clear();
      const perTensor = await run(1);
      expect([...totals]).to.deep.equal([12 * names.length]);
      expect(statsJSON(perTensor)).to.deep.equal(statsJSON(whole));

      // 8 KiB per sample x 4 samples: a few groups (the conv outputs are 8 KiB a sample).
      totals.clear();
      const some = await run(4 * 8 * 1024);
      const [total] = [...totals];
      expect(total / 12).to.be.within(2, names.length - 1);
      expect(statsJSON(some)).to.deep.equal(statsJSON(whole));
    });
  });

  describe('subsampling', () => {
    it('keeps the exact min/max of every tensor (compared with a full run) while binning a quarter of the large ones', async () => {
      for (const [model, batchSize] of [[single, 1], [dynamic, 8]] as const) {
        const generator = await gaussian(3);
        const full = await calibrate(model, { generator, samples: 16, batchSize, subsample: false });
        const sub = await calibrate(model, { generator, samples: 16, batchSize, subsample: true });
        const large = ['x', 'conv1_output', 'relu1_output', 'conv2_output', 'relu2_output'];
        for (const [name, f] of full.tensors) {
          const s = sub.tensors.get(name)!;
          expect(s.minmax.min, name).to.equal(f.minmax.min);
          expect(s.minmax.max, name).to.equal(f.minmax.max);
          if (large.includes(name)) {
            expect(s.histogram.count, name).to.equal(f.histogram.count / 4);
          } else {
            expect(s.histogram.toJSON(), name).to.deep.equal(f.histogram.toJSON());
          }
        }
        // Sample by sample, the moving averages are exact too.
        if (batchSize === 1) for (const [name, f] of full.tensors) expect(sub.tensors.get(name)!.minmax.toJSON(), name).to.deep.equal(f.minmax.toJSON());
      }
    });

    it('calibrate subsamples by default', async () => {
      const generator = await gaussian(3);
      const r = await calibrate(single, { generator, samples: 2 });
      expect(r.samples).to.equal(2);
      expect(r.tensors.get('conv1_output')!.histogram.count).to.equal(2 * 8 * 8 * 8);
    });
  });

  describe('memory', () => {
    it('peak memory stays flat when the sample count grows 8x (50 vs 400 samples)', function () {
      // A fresh process with --expose-gc, so that the live heap can be measured
      // after a full collection. It is measured as each batch starts, when
      // exactly one batch of watched tensors is held (the one being visited).
      // Two collections: the first leaves freed ArrayBuffers to the sweeper.
      const script = `
        import { buildCalibrationConvNet } from './test/builders/calibration-models.ts';
        import { calibrate } from './runtime/calibration/calibration-runner.ts';
        import { createInputGenerator } from './runtime/generators/input-generator.ts';
        const model = await buildCalibrationConvNet({ batch: 'dynamic', size: 64, channels: 16 });
        const faces = await createInputGenerator('gaussian', { seed: 3, sampleDims: [3, 64, 64] });
        const live = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
        let peak = 0;
        const generator = { description: faces.description, sample(index, out) { if (index % 8 === 0) peak = Math.max(peak, live()); return faces.sample(index, out); } };
        await calibrate(model, { generator, samples: 8, batchSize: 8, threads: 1 });
        const result = {};
        for (const samples of [50, 400]) {
          const base = live();
          peak = base;
          await calibrate(model, { generator, samples, batchSize: 8, threads: 1 });
          result[samples] = peak - base;
        }
        console.log(JSON.stringify(result));
      `;
      const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).to.equal(0);
      const growth = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
      process.stdout.write(`      heap growth: ${(growth[50] / 1e6).toFixed(1)} MB at 50 samples, ${(growth[400] / 1e6).toFixed(1)} MB at 400 (ratio ${(growth[400] / growth[50]).toFixed(2)})\n`);
      // The measurement sees the batch in hand (about 2.5 MB of activations)...
      expect(growth[50]).to.be.above(1e6);
      // ...and it, not the sample count, sets the peak (holding on to the
      // samples would add 0.3 MB a sample: 100 MB more at 400).
      expect(growth[400] / growth[50], JSON.stringify(growth)).to.be.below(1.5);
    });
  });
});
