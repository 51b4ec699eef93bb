// Load + save with no passes, on every real model of the devDependency
// packages: onnxruntime gives bit-identical outputs, and a second round trip
// gives identical bytes.

import { expect } from 'chai';
import fs from 'node:fs';
import { loadModel, loadModelFromBuffer } from '../compiler/onnx/load.ts';
import { serializeModel } from '../compiler/onnx/save.ts';
import { createSession, run } from '../runtime/session.ts';
import { seededFeeds } from '../runtime/evaluation/seeded-feeds.ts';
import { allRealModels } from './fixtures/real-models.ts';

describe('round trip of the real models', () => {
  for (const { name, path } of allRealModels()) {
    it(`${name}: bit-identical outputs, stable bytes`, async () => {
      const original = fs.readFileSync(path);
      const model = loadModel(path);
      const once = serializeModel(model);
      const twice = serializeModel(loadModelFromBuffer(once));
      expect(Buffer.compare(Buffer.from(once), Buffer.from(twice)), 'second round trip bytes').to.equal(0);

      // Dynamic OCR inputs get a small concrete size (a multiple of 32, as the detector needs).
      const feeds = seededFeeds(model, { seed: name, dims: { '*': 64 } });
      const before = await run(await createSession(original), feeds);
      const after = await run(await createSession(once), feeds);
      expect(Object.keys(after)).to.deep.equal(Object.keys(before));
      for (const k of Object.keys(before)) {
        const a = before[k].data as Float32Array, b = after[k].data as Float32Array;
        expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)), `output ${k}`).to.equal(0);
      }
    });
  }
});
