import { expect } from 'chai';
import type { Model } from '../../compiler/ir/model.ts';
import { Rng } from '../../runtime/generators/rng.ts';
import { createSession, ort, run } from '../../runtime/session.ts';
import { buildIResNet } from './iresnet.ts';
import { buildMobileFaceNet } from './mobilefacenet.ts';
import { parameterCount } from './parameter-count.ts';
import { buildResNet50 } from './resnet50.ts';

// Published sizes. IResNet-18 has none we could find; its figure is the
// parameter count of iresnet18() in QuantFace's backbones/iresnet.py, worked
// out by hand from the layer definitions.
const REFERENCE_PARAMETERS = {
  'IResNet-18': 24_025_600,
  // torchvision docs, ResNet50_Weights.IMAGENET1K_V1: num_params 25557032.
  'ResNet-50': 25_557_032,
  // MobileFaceNets paper (Chen et al. 2018, arXiv 1804.07573), 128-d: 0.99 M.
  MobileFaceNet: 990_000,
};

async function infer(model: Model, batch: number, size: number): Promise<ort.Tensor> {
  const rng = new Rng(11);
  const pixels = Float32Array.from({ length: batch * 3 * size * size }, () => rng.uniform(-1, 1));
  const session = await createSession(model);
  const outputs = await run(session, { input: new ort.Tensor('float32', pixels, [batch, 3, size, size]) });
  return Object.values(outputs)[0];
}

function rms(data: Float32Array): number {
  return Math.sqrt(data.reduce((s, v) => s + v * v, 0) / data.length);
}

describe('model builders', function () {
  this.timeout(60_000);

  const cases = [
    { name: 'IResNet-18', build: () => buildIResNet(18), size: 112, features: 512 },
    { name: 'ResNet-50', build: () => buildResNet50(), size: 224, features: 1000 },
    { name: 'MobileFaceNet', build: () => buildMobileFaceNet(), size: 112, features: 128 },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: runs in onnxruntime with a finite output of sane scale and the published parameter count`, async () => {
      const model = c.build();
      const reference = REFERENCE_PARAMETERS[c.name];
      expect(Math.abs(parameterCount(model) - reference) / reference).to.be.below(0.02);

      const out = await infer(model, 1, c.size);
      expect(out.dims).to.deep.equal([1, c.features]);
      const data = out.data as Float32Array;
      expect(data.every(Number.isFinite)).to.equal(true);
      // BN statistics that match the activations keep the output near unit scale.
      expect(rms(data)).to.be.within(0.1, 10);
    });
  }

  it('folding BatchNormalization leaves the function unchanged', async () => {
    const unfolded = buildMobileFaceNet({ seed: 3 });
    const folded = buildMobileFaceNet({ seed: 3, withBatchNorm: false });
    const opTypes = (m: Model) => new Set(m.graph.nodes.toArray().map((n) => n.opType));
    expect(opTypes(unfolded).has('BatchNormalization')).to.equal(true);
    expect(opTypes(folded).has('BatchNormalization')).to.equal(false);

    const a = (await infer(unfolded, 1, 112)).data as Float32Array;
    const b = (await infer(folded, 1, 112)).data as Float32Array;
    const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(worst).to.be.below(1e-3 * rms(a));
  });

  it('a dynamic batch accepts any batch size', async () => {
    const out = await infer(buildMobileFaceNet({ batch: 'dynamic' }), 3, 112);
    expect(out.dims).to.deep.equal([3, 128]);
  });
});
