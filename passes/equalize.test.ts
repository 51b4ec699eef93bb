import { expect } from 'chai';
import type { Model } from '../compiler/ir/model.ts';
import type { Node } from '../compiler/ir/node.ts';
import { Tensor } from '../compiler/ir/tensor.ts';
import type { Value } from '../compiler/ir/value.ts';
import { loadModel } from '../compiler/onnx/load.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
import { runPasses } from '../compiler/pass-manager/pass-manager.ts';
import { difference } from '../runtime/evaluation/numeric-verifier.ts';
import { seededFeeds } from '../runtime/evaluation/seeded-feeds.ts';
import { gaussianGenerator } from '../runtime/generators/noise-input.ts';
import { createModelServices } from '../runtime/model-services.ts';
import { createSession, run } from '../runtime/session.ts';
import { GraphBuilder } from '../test/builders/graph-builder.ts';
import { FR_FEATURE } from '../test/fixtures/real-models.ts';
import { applyAndCompare, expectExact, type PassOutcome } from '../test/helpers/pass-harness.ts';
import { equalizePass } from './equalize.ts';

// --- helpers, independent of the pass's own range code ----------------------

function node(model: Model, name: string): Node {
  const n = model.graph.nodes.toArray().find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

function weightOf(model: Model, conv: string) {
  const n = node(model, conv);
  const t = n.input(1)!.constValue!;
  return { dims: t.dims, w: t.toFloat32(), group: n.getInt('group', 1) };
}

/** r1: max |W[o, ...]| per output channel. */
function outRanges(model: Model, conv: string): number[] {
  const { dims, w } = weightOf(model, conv);
  const per = w.length / dims[0];
  return Array.from({ length: dims[0] }, (_, o) => Math.max(...Array.from(w.subarray(o * per, (o + 1) * per), Math.abs)));
}

/** r2: max |W[o, j, ...]| over the output channels o of the group that reads input channel i. */
function inRanges(model: Model, conv: string): number[] {
  const { dims, w, group } = weightOf(model, conv);
  const [out, inPerGroup] = dims;
  const spatial = w.length / (out * inPerGroup);
  const r = new Array(inPerGroup * group).fill(0);
  for (let o = 0; o < out; o++) {
    const g = Math.floor(o / (out / group));
    for (let j = 0; j < inPerGroup; j++) {
      for (let k = 0; k < spatial; k++) {
        const i = g * inPerGroup + j;
        r[i] = Math.max(r[i], Math.abs(w[(o * inPerGroup + j) * spatial + k]));
      }
    }
  }
  return r;
}

function expectBalanced(model: Model, conv1: string, conv2: string): void {
  const r1 = outRanges(model, conv1), r2 = inRanges(model, conv2);
  expect(r1.length).to.equal(r2.length);
  for (let i = 0; i < r1.length; i++) {
    if (r1[i] === 0 || r2[i] === 0) continue;
    expect(Math.abs(r1[i] - r2[i]) / Math.max(r1[i], r2[i]), `${conv1} -> ${conv2} channel ${i}: r1 ${r1[i]} r2 ${r2[i]}`).to.be.below(1e-3);
  }
}

function stats(out: PassOutcome): Record<string, number> {
  return out.reports.find((r) => r.name === 'equalize')!.stats;
}

/** Overwrites an initializer's values in place (the builder's weights are not shared). */
function edit(v: Value, f: (values: Float32Array, dims: readonly number[]) => void): void {
  const t = v.constValue!;
  const values = Float32Array.from(t.toFloat32());
  f(values, t.dims);
  v.constValue = Tensor.float32(t.dims, values);
}

function spread(r: number[]): number {
  return Math.max(...r) / Math.min(...r);
}

async function outputsOf(model: Model, feeds: ReturnType<typeof seededFeeds>[]) {
  const session = await createSession(serializeModel(model));
  return Promise.all(feeds.map((f) => run(session, f)));
}

// --- graphs --------------------------------------------------------------------

/** dead: channel 3 of c1 has all-zero weights, or leftovers of 1e-30 under a bias of 0.5. */
function convPreluConv(options: { dead?: 'zero' | 'tiny' } = {}) {
  const b = new GraphBuilder({ opset: 13, seed: 11 });
  const x = b.input('x', [1, 8, 12, 12]);
  const y = b.conv(x, 8, 16, 3, { name: 'c1' });
  const a = b.prelu(y, 16, { name: 'act' });
  b.output(b.conv(a, 16, 12, 3, { name: 'c2' }), [1, 12, 12, 12]);
  if (options.dead) {
    edit(b.graph.value('c1.weight')!, (w, dims) => w.fill(options.dead === 'zero' ? 0 : 1e-30, 3 * (w.length / dims[0]), 4 * (w.length / dims[0])));
    edit(b.graph.value('c1.bias')!, (v) => (v[3] = 0.5));
  }
  return b;
}

function pwDwPw() {
  const b = new GraphBuilder({ opset: 13, seed: 12 });
  const x = b.input('x', [1, 8, 12, 12]);
  const y1 = b.op('Relu', [b.conv(x, 8, 16, 1, { name: 'pw1' })]);
  const y2 = b.op('Relu', [b.conv(y1, 16, 16, 3, { group: 16, name: 'dw' })]);
  b.output(b.conv(y2, 16, 8, 1, { name: 'pw2' }), [1, 8, 12, 12]);
  return b;
}

function grouped() {
  const b = new GraphBuilder({ opset: 13, seed: 13 });
  const x = b.input('x', [1, 8, 10, 10]);
  const y1 = b.op('LeakyRelu', [b.conv(x, 8, 12, 3, { group: 2, name: 'g1' })], { alpha: 0.1 });
  // Depthwise with multiplier 2: 12 groups of one input channel, two outputs each.
  const y2 = b.op('Relu', [b.conv(y1, 12, 24, 3, { group: 12, name: 'g2' })]);
  b.output(b.conv(y2, 24, 8, 1, { group: 4, name: 'g3' }), [1, 8, 10, 10]);
  return b;
}

function noActivation() {
  const b = new GraphBuilder({ opset: 13, seed: 14 });
  const x = b.input('x', [1, 8, 10, 10]);
  b.output(b.conv(b.conv(x, 8, 16, 3, { name: 'n1' }), 16, 8, 1, { name: 'n2' }), [1, 8, 10, 10]);
  return b;
}

/** Channels 0..7 of c1 carry weights 100x too large, undone by c2: same function, badly spread ranges. */
function unbalanced() {
  const b = new GraphBuilder({ opset: 13, seed: 15 });
  const x = b.input('x', [1, 8, 10, 10]);
  const y = b.op('Relu', [b.conv(x, 8, 16, 3, { name: 'c1' })]);
  b.output(b.conv(y, 16, 8, 1, { name: 'c2' }), [1, 8, 10, 10]);
  edit(b.graph.value('c1.weight')!, (w, dims) => {
    const per = w.length / dims[0];
    for (let i = 0; i < 8 * per; i++) w[i] *= 100;
  });
  edit(b.graph.value('c1.bias')!, (v) => {
    for (let i = 0; i < 8; i++) v[i] *= 100;
  });
  edit(b.graph.value('c2.weight')!, (w, dims) => {
    const [out, cin] = dims;
    for (let o = 0; o < out; o++) for (let i = 0; i < 8; i++) w[o * cin + i] /= 100;
  });
  return b;
}

/** Channels 0..3 of h1's output always sit well above zero (large bias, small weights). */
function highBias(options: { pad2?: number; activation?: 'Relu' | 'PRelu' } = {}) {
  const b = new GraphBuilder({ opset: 13, seed: 16 });
  const x = b.input('x', [1, 4, 10, 10]);
  const y = b.conv(x, 4, 8, 3, { name: 'h1' });
  edit(b.graph.value('h1.weight')!, (w, dims) => {
    const per = w.length / dims[0];
    for (let i = 0; i < 4 * per; i++) w[i] *= 0.2;
  });
  edit(b.graph.value('h1.bias')!, (v) => {
    for (let i = 0; i < 4; i++) v[i] = 8;
  });
  const a = options.activation === 'PRelu' ? b.prelu(y, 8, { name: 'act' }) : b.op('Relu', [y]);
  const k = options.pad2 ? 3 : 1;
  b.output(b.conv(a, 8, 6, k, { pad: options.pad2 ?? 0, name: 'h2' }), [1, 6, 10, 10]);
  return b;
}

function services() {
  return createModelServices({ calibration: { generator: gaussianGenerator('equalize-test'), samples: 16 } });
}

// --- tests -------------------------------------------------------------------------

describe('equalize', () => {
  it('equalizes Conv -> PRelu -> Conv exactly and balances the ranges', async () => {
    const b = convPreluConv();
    const before = outRanges(b.model, 'c1');
    const out = await applyAndCompare(b.model, [equalizePass]);
    expectExact(out, 1e-4);
    expect(stats(out).pairs).to.equal(1);
    expectBalanced(b.model, 'c1', 'c2');
    expect(outRanges(b.model, 'c1')).to.not.deep.equal(before);
  });

  it('leaves dead and near-dead channels (and their biases) alone', async () => {
    for (const dead of ['zero', 'tiny'] as const) {
      const b = convPreluConv({ dead });
      const r1 = outRanges(b.model, 'c1')[3];
      const out = await applyAndCompare(b.model, [equalizePass]);
      expectExact(out, 1e-4);
      expect(stats(out).pairs, dead).to.equal(1);
      expect(outRanges(b.model, 'c1')[3], dead).to.equal(r1);
      expect(node(b.model, 'c1').input(2)!.constValue!.toFloat32()[3], dead).to.equal(0.5);
      expect(outRanges(b.model, 'c1').every(Number.isFinite), dead).to.equal(true);
    }
  });

  it('equalizes both pairs of Conv -> Relu -> depthwise Conv -> Relu -> Conv', async () => {
    const b = pwDwPw();
    const out = await applyAndCompare(b.model, [equalizePass]);
    expectExact(out, 1e-4);
    expect(stats(out).pairs).to.equal(2);
    expect(stats(out).rounds).to.be.within(2, 20);
    expectBalanced(b.model, 'pw1', 'dw');
    expectBalanced(b.model, 'dw', 'pw2');
  });

  it('maps channels through grouped convs (group 2, depthwise with multiplier 2, group 4) with LeakyRelu', async () => {
    const b = grouped();
    const out = await applyAndCompare(b.model, [equalizePass]);
    expectExact(out, 1e-4);
    expect(stats(out).pairs).to.equal(2);
    expectBalanced(b.model, 'g1', 'g2');
    expectBalanced(b.model, 'g2', 'g3');
  });

  it('equalizes a pair with no activation between the convs', async () => {
    const b = noActivation();
    const out = await applyAndCompare(b.model, [equalizePass]);
    expectExact(out, 1e-4);
    expect(stats(out).pairs).to.equal(1);
    expectBalanced(b.model, 'n1', 'n2');
  });

  it('shrinks the per-channel range spread of a deliberately unbalanced pair by far more than 10x', async () => {
    const b = unbalanced();
    const before = spread(outRanges(b.model, 'c1'));
    const out = await applyAndCompare(b.model, [equalizePass]);
    expectExact(out, 1e-4);
    const after = spread(outRanges(b.model, 'c1'));
    expect(before / after, `spread ${before.toFixed(1)} -> ${after.toFixed(2)}`).to.be.above(10);
    expectBalanced(b.model, 'c1', 'c2');
  });

  it('declines a shared weight, an output used twice, a non-per-channel PRelu slope and Clip, changing nothing', async () => {
    const cases: [string, () => GraphBuilder, RegExp][] = [
      ['shared weight', () => {
        const b = new GraphBuilder({ opset: 13, seed: 21 });
        const x = b.input('x', [1, 8, 8, 8]);
        const y = b.op('Relu', [b.conv(x, 8, 8, 3, { name: 'c1' })]);
        b.output(b.conv(y, 8, 8, 1, { name: 'c2' }), [1, 8, 8, 8]);
        b.output(b.op('Conv', [x, b.graph.value('c1.weight')!], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), [1, 8, 8, 8]);
        return b;
      }, /weight 'c1\.weight' is shared with another node/],
      ['output used twice', () => {
        const b = new GraphBuilder({ opset: 13, seed: 22 });
        const x = b.input('x', [1, 8, 8, 8]);
        const y = b.conv(x, 8, 8, 3, { name: 'c1' });
        const z = b.conv(b.op('Relu', [y]), 8, 8, 1, { name: 'c2' });
        b.output(b.op('Add', [y, z]), [1, 8, 8, 8]);
        return b;
      }, /also used elsewhere/],
      ['per-element PRelu slope', () => {
        const b = new GraphBuilder({ opset: 13, seed: 23 });
        const x = b.input('x', [1, 8, 8, 8]);
        const a = b.op('PRelu', [b.conv(x, 8, 8, 3, { name: 'c1' }), b.uniform('slope', [8, 8, 8], 0.05, 0.3)]);
        b.output(b.conv(a, 8, 8, 1, { name: 'c2' }), [1, 8, 8, 8]);
        return b;
      }, /PRelu slope \[8, 8, 8\] is not per-channel/],
      ['Clip', () => {
        const b = new GraphBuilder({ opset: 13, seed: 24 });
        const x = b.input('x', [1, 8, 8, 8]);
        const a = b.op('Clip', [b.conv(x, 8, 8, 3, { name: 'c1' }), b.floats('lo', [], [0]), b.floats('hi', [], [6])]);
        b.output(b.conv(a, 8, 8, 1, { name: 'c2' }), [1, 8, 8, 8]);
        return b;
      }, /not positively homogeneous/],
    ];
    for (const [what, build, reason] of cases) {
      const b = build();
      const w1 = outRanges(b.model, 'c1');
      const out = await applyAndCompare(b.model, [equalizePass]);
      expectExact(out, 1e-6);
      expect(out.declines.join(' | '), what).to.match(reason);
      expect(stats(out).pairs ?? 0, what).to.equal(0);
      expect(outRanges(b.model, 'c1'), what).to.deep.equal(w1);
    }
  });

  it('absorbs high biases through Relu when the model can be run, exactly', async () => {
    const feedsOf = (m: Model) => Array.from({ length: 3 }, (_, i) => seededFeeds(m, { seed: `absorb:${i}` }));
    const b = highBias();
    const feeds = feedsOf(b.model);
    const reference = await outputsOf(b.model, feeds);
    const reports = await runPasses(b.model, [equalizePass], { services: services() });
    const after = await outputsOf(b.model, feeds);
    let worst = 0;
    for (let i = 0; i < feeds.length; i++) {
      for (const name of Object.keys(reference[i])) {
        worst = Math.max(worst, difference(name, reference[i][name].data as Float32Array, after[i][name].data as Float32Array).relative);
      }
    }
    expect(worst).to.be.at.most(1e-4);
    expect(reports[0].stats['absorbed-channels']).to.equal(4);
    expect(reports[0].stats['absorbed-pairs']).to.equal(1);

    // Against equalization alone: the high channels' biases dropped, the others did not move.
    const plain = highBias();
    await runPasses(plain.model, [equalizePass]);
    const biasOf = (m: Model, conv: string) => Array.from(node(m, conv).input(2)!.constValue!.toFloat32());
    const absorbed = biasOf(b.model, 'h1'), equalizedOnly = biasOf(plain.model, 'h1');
    for (let i = 0; i < 8; i++) {
      if (i < 4) expect(absorbed[i], `channel ${i}`).to.be.below(equalizedOnly[i] * 0.5);
      else expect(absorbed[i], `channel ${i}`).to.equal(equalizedOnly[i]);
    }
  });

  it('does not absorb into a padded Conv (declines) nor through PRelu', async () => {
    const padded = highBias({ pad2: 1 });
    const [report] = await runPasses(padded.model, [equalizePass], { services: services() });
    expect(report.stats.pairs).to.equal(1);
    expect(report.stats['absorbed-channels'] ?? 0).to.equal(0);
    expect(report.declines.map((d) => d.reason).join(' | ')).to.match(/high-bias absorption: .* pads its input/);

    const prelu = highBias({ activation: 'PRelu' });
    const [preluReport] = await runPasses(prelu.model, [equalizePass], { services: services() });
    expect(preluReport.stats.pairs).to.equal(1);
    expect(preluReport.stats['absorbed-channels'] ?? 0).to.equal(0);
  });

  it('keeps the real MobileFaceNet (fr_feature) within 1e-4 and equalizes its chains', async function () {
    this.timeout(30_000);
    const model = loadModel(FR_FEATURE);
    const out = await applyAndCompare(model, [equalizePass]);
    expectExact(out, 1e-4);
    const s = stats(out);
    // Every one of the 33 Conv -> PRelu -> Conv links, plus the head's dw 7x7 -> Conv with no
    // activation; the three Convs whose output also feeds a residual Add decline.
    expect(s.pairs).to.equal(34);
    expect(s.rounds).to.be.within(2, 20);
    expect(out.declines.join(' | ')).to.match(/also used elsewhere/);
  });
});
