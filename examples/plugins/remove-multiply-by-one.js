// An example quantface plugin: removes multiplications by a constant 1, which
// some exporters leave behind (a scale of 1.0 that was never folded).
//
//   Before:  %y = Mul(%x, 1.0)
//   After:   (uses of %y read %x)
//
// A plugin is a plain module. It may export `passes` (objects with name,
// description and run(model, ctx)), or `rules` plus a `rulePass` that names the
// pass they form, like this one. `placement` puts the pass before or after a
// named built-in pass; `quantface optimize --plugin THIS_FILE` then runs it
// there. Rules follow the built-in conventions: match finds the pattern,
// check returns why it declines (or null), rewrite changes the graph.

const isOne = (value) => {
  const t = value && value.isConstant ? value.constValue : null;
  return t !== null && t.dataType === 1 && t.toFloat32().every((v) => v === 1);
};

export const rules = [
  {
    name: 'mul-by-one',
    match(node) {
      if (node.opType !== 'Mul') return null;
      const [a, b] = node.inputs;
      if (isOne(b)) return { node, keep: a, one: b };
      if (isOne(a)) return { node, keep: b, one: a };
      return null;
    },
    check({ node, keep, one }) {
      // Multiplying by a broadcast [1, 1, ...] could change the output shape.
      if (one.constValue.size !== 1) return 'the constant is not a scalar';
      if (node.output.isGraphOutput && (keep.isGraphInput || keep.isInitializer)) return 'it joins two parts of the model interface';
      return null;
    },
    rewrite({ node, keep }, model) {
      node.output.replaceAllUsesWith(keep);
      model.graph.removeNode(node);
    },
  },
];

export const rulePass = {
  name: 'remove-multiply-by-one',
  description: 'remove Mul by a constant scalar 1 (example plugin)',
  placement: { after: 'fold-constants' },
  exact: true,
};
