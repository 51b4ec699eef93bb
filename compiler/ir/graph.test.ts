import { expect } from 'chai';
import { GraphBuilder } from '../../test/builders/graph-builder.ts';
import { topologicalOrder } from './topological-sort.ts';
import { validateGraph } from './validate.ts';

function chain() {
  const b = new GraphBuilder();
  const x = b.input('x', [1, 4]);
  const a = b.op('Relu', [x], {}, { name: 'relu' });
  const s = b.op('Sigmoid', [a], {}, { name: 'sigmoid' });
  const t = b.op('Tanh', [a], {}, { name: 'tanh' });
  const y = b.op('Add', [s, t], {}, { name: 'add' });
  b.output(y);
  return { b, x, a, s, t, y };
}

describe('IR use-def chains', () => {
  it('records producer and uses on both ends of every edge', () => {
    const { a, s, t } = chain();
    expect(a.producer!.name).to.equal('relu');
    expect(a.uses.map((u) => u.node.name).sort()).to.deep.equal(['sigmoid', 'tanh']);
    expect(s.uses).to.have.length(1);
    expect(t.consumers()[0].name).to.equal('add');
  });

  it('replaceInput moves one use and replaceAllUsesWith moves all of them', () => {
    const { b, x, a, s, t } = chain();
    const sig = s.producer!;
    sig.replaceInput(0, x);
    expect(a.uses).to.have.length(1);
    expect(x.uses.map((u) => u.node.name).sort()).to.deep.equal(['relu', 'sigmoid']);
    a.replaceAllUsesWith(x);
    expect(a.uses).to.have.length(0);
    expect(t.producer!.input(0)).to.equal(x);
    expect(validateGraph(b.graph)).to.deep.equal([]);
  });

  it('keeps the output name when a graph output is replaced', () => {
    const { b, s, y } = chain();
    const name = y.name;
    y.replaceAllUsesWith(s);
    expect(b.graph.outputs[0]).to.equal(s);
    expect(s.name).to.equal(name);
    expect(y.name).to.not.equal(name);
  });

  it('refuses to remove a node whose output is still used', () => {
    const { b, a } = chain();
    expect(() => b.graph.removeNode(a.producer!)).to.throw(/still used/);
  });

  it('refuses a duplicate value name and renames through the name table', () => {
    const { b, a, s } = chain();
    expect(() => { a.name = s.name; }).to.throw(/taken/);
    a.name = 'renamed';
    expect(b.graph.value('renamed')).to.equal(a);
  });

  it('lets a pass remove and insert nodes while iterating', () => {
    const { b } = chain();
    const seen: string[] = [];
    for (const n of b.graph.nodes) {
      seen.push(n.name);
      if (n.name === 'sigmoid') {
        const inserted = b.graph.addNode({ opType: 'Neg', inputs: [n.input(0)], name: 'neg', after: n });
        b.graph.addNode({ opType: 'Abs', inputs: [inserted.output], name: 'abs', after: inserted });
      }
      if (n.name === 'tanh') {
        // Remove the node we stand on and the one after it (via force).
        b.graph.removeNode(n.outputs[0].consumers()[0], { force: true });
        b.graph.removeNode(n, { force: true });
      }
    }
    expect(seen).to.deep.equal(['relu', 'sigmoid', 'neg', 'abs', 'tanh']);
  });
});

describe('topological order and validation', () => {
  it('sorts nodes given out of order and keeps a sorted graph stable', () => {
    const { b } = chain();
    expect(topologicalOrder(b.graph).map((n) => n.name)).to.deep.equal(['relu', 'sigmoid', 'tanh', 'add']);
    b.graph.nodes.reorder(b.graph.nodes.toArray().reverse());
    // Among ready nodes the current order decides: tanh now precedes sigmoid.
    expect(topologicalOrder(b.graph).map((n) => n.name)).to.deep.equal(['relu', 'tanh', 'sigmoid', 'add']);
  });

  it('reports a cycle', () => {
    const { b, a } = chain();
    const add = b.graph.outputs[0].producer!;
    a.producer!.replaceInput(0, add.output);
    expect(validateGraph(b.graph).join()).to.match(/cycle/);
  });

  it('reports an input nothing produces', () => {
    const { b, a } = chain();
    const orphan = b.graph.createValue('orphan');
    a.producer!.replaceInput(0, orphan);
    expect(validateGraph(b.graph)[0]).to.match(/'orphan' of Relu 'relu' is not produced/);
  });
});
