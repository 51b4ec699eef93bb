import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPlugin, placePluginPasses } from '../compiler/pass-manager/plugins.ts';
import { UserError } from '../compiler/errors.ts';
import { builtinRegistry, CLEANUP_PIPELINE } from '../passes/index.ts';
import { GraphBuilder } from './builders/graph-builder.ts';
import { applyAndCompare, expectExact, opCount } from './helpers/pass-harness.ts';

const EXAMPLE = path.resolve('examples/plugins/remove-multiply-by-one.js');

describe('plugins', () => {
  it('loads the example plugin and places it after the pass it names', async () => {
    const passes = await loadPlugin(EXAMPLE);
    expect(passes.map((p) => p.name)).to.deep.equal(['remove-multiply-by-one']);
    const registry = builtinRegistry();
    const order = placePluginPasses(registry, CLEANUP_PIPELINE, passes);
    expect(order[order.indexOf('fold-constants') + 1]).to.equal('remove-multiply-by-one');
    expect(registry.get('remove-multiply-by-one')).to.equal(passes[0]);
  });

  it('runs the plugin pass like a built-in one, exactly', async () => {
    const [pass] = await loadPlugin(EXAMPLE);
    const b = new GraphBuilder();
    const x = b.input('x', [3]);
    const y = b.op('Mul', [b.op('Relu', [x]), b.floats('one', [], [1])]);
    b.output(b.op('Mul', [b.floats('also_one', [], [1]), b.op('Sigmoid', [y])]));
    const out = await applyAndCompare(b.model, [pass]);
    expectExact(out, 0);
    expect(opCount(b.model, 'Mul')).to.equal(0);
  });

  it('rejects a module that exports no passes, in one line', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qf-plugin-')), 'empty.js');
    fs.writeFileSync(file, 'export const nothing = 1;\n');
    const err = await loadPlugin(file).catch((e) => e);
    expect(err).to.be.instanceOf(UserError);
    expect(err.message).to.match(/exports no passes/);
  });

  it('rejects a placement next to a pass that is not in the pipeline', async () => {
    const [pass] = await loadPlugin(EXAMPLE);
    expect(() => placePluginPasses(builtinRegistry(), ['fold-batchnorm'], [pass])).to.throw(/not in the pipeline/);
  });
});
