// fold-constants: nodes whose inputs are all constant are computed once.
//
//   Before:  %s = Shape(%x: [1,512,7,7]);  %n = Gather(%s, 0);  %t = Unsqueeze(%n, [0])
//            %shape = Concat(%t, [-1]);     %y = Reshape(%x, %shape)
//   After:   init %shape = [1, -1];          %y = Reshape(%x, %shape)
//
// Shape of a value whose shape is fully static counts as constant. Never folds
// QuantizeLinear/DequantizeLinear (the quantized form is the point), ops with
// subgraphs, or outputs that would be much larger than their inputs (a folded
// ConstantOfShape could bloat the file).

import type { Node } from '../compiler/ir/node.ts';
import type { Tensor } from '../compiler/ir/tensor.ts';
import { Rule, rulePass } from '../compiler/pass-manager/rule.ts';
import { FOLDABLE_OPS, evaluateNode } from './constant-evaluator.ts';

const MAX_FOLDED_ELEMENTS = 1 << 20;

interface Foldable {
  node: Node;
  /** The computed outputs, or why they could not be computed. */
  results: Tensor[] | string;
  inputElements: number;
}

const foldConstantNode: Rule<Foldable> = {
  name: 'fold-constant-node',
  match(node) {
    if ((node.domain !== '' && node.domain !== 'ai.onnx') || !FOLDABLE_OPS.has(node.opType) || node.hasSubgraphs) return null;
    const inputs = node.inputs.map((v) => (v?.isConstant ? v.constValue : null));
    const staticShape = node.opType === 'Shape' && node.input(0)?.shape?.every((d) => typeof d === 'number');
    const allConstant = node.inputs.every((v, i) => v === null || inputs[i] !== null || (i === 0 && staticShape));
    if (!allConstant || node.inputs.length === 0) return null;
    let results: Tensor[] | string;
    try {
      results = evaluateNode(node, inputs, node.input(0)?.shape ?? undefined) ?? 'an input type is not supported by the evaluator';
    } catch (e) {
      results = `cannot evaluate: ${(e as Error).message}`;
    }
    return { node, results, inputElements: inputs.reduce((s, t) => s + (t?.size ?? 0), 0) };
  },
  check({ node, results, inputElements }) {
    if (typeof results === 'string') return results;
    for (const o of node.outputs) if (o.isGraphOutput) return `output '${o.name}' is a graph output`;
    if (results.some((t) => t.size > MAX_FOLDED_ELEMENTS && t.size > inputElements)) return 'the folded tensor would be much larger than its inputs';
    return null;
  },
  rewrite({ node, results }, model) {
    const g = model.graph;
    node.outputs.forEach((out, i) => {
      const name = out.name;
      out.name = g.freshName(`${name}_folded`);
      const init = g.addInitializer(name, (results as Tensor[])[i], { exactName: true });
      out.replaceAllUsesWith(init);
    });
    g.removeNode(node);
  },
};

export const foldConstantsPass = rulePass({
  name: 'fold-constants',
  description: 'compute nodes whose inputs are all constant (shape computations, weight transforms); never Q/DQ',
  rules: [foldConstantNode],
  exact: true,
});
