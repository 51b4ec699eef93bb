// eliminate-identity: ops that return their input unchanged are removed.
//
//   Before:  %a = Conv(...);  %b = Identity(%a);  %c = Relu(%b)
//   After:   %a = Conv(...);                      %c = Relu(%a)
//
// Covers Identity, Dropout in inference (its mask unused), and Reshape,
// Transpose, Cast, Squeeze/Unsqueeze-free no-ops whose effect is provably
// nothing from the static shape and type: identity perm, the same shape, the
// same element type.

import type { Node } from '../compiler/ir/node.ts';
import type { Model } from '../compiler/ir/model.ts';
import type { Value } from '../compiler/ir/value.ts';
import { Rule, rulePass } from '../compiler/pass-manager/rule.ts';

interface NoOp {
  node: Node;
  input: Value;
}

function isNoOp(node: Node, model: Model): boolean {
  const x = node.input(0);
  if (!x) return false;
  switch (node.opType) {
    case 'Identity':
      return true;
    case 'Dropout': {
      // A training_mode input that is not a constant false could make it random.
      const training = node.input(2);
      if (training && !(training.isConstant && Number(training.constValue!.toNumbers()[0]) === 0)) return false;
      return node.getInt('is_test', 1) !== 0 || model.opsetVersion() >= 7;
    }
    case 'Transpose': {
      const perm = node.getInts('perm');
      return !!perm && perm.every((p, i) => p === i);
    }
    case 'Cast': {
      const from = x.tensorType?.elemType;
      return from !== undefined && from === node.getInt('to');
    }
    case 'Reshape':
      return reshapeKeepsShape(node, x);
    default:
      return false;
  }
}

function reshapeKeepsShape(node: Node, x: Value): boolean {
  const shapeInput = node.input(1);
  const shape = x.shape;
  if (!shapeInput?.isConstant || !shape || shape.some((d) => typeof d !== 'number')) return false;
  const target = shapeInput.constValue!.toNumbers();
  if (target.length !== shape.length) return false;
  // 0 copies the input dimension (unless allowzero); -1 is inferred: with every
  // other dimension equal, it must equal the remaining one.
  const allowZero = node.getInt('allowzero', 0) === 1;
  return target.every((t, i) => t === shape[i] || (t === 0 && !allowZero) || t === -1);
}

const removeNoOp: Rule<NoOp> = {
  name: 'remove-no-op',
  match(node, model) {
    if ((node.domain !== '' && node.domain !== 'ai.onnx') || !isNoOp(node, model)) return null;
    return { node, input: node.input(0)! };
  },
  check({ node, input }) {
    for (const extra of node.outputs.slice(1)) if (extra.uses.length || extra.isGraphOutput) return `output '${extra.name}' is used`;
    const out = node.output;
    if (out.isGraphOutput && (input.isGraphInput || input.isInitializer || input.isGraphOutput)) {
      return 'it connects two parts of the model interface; removing it would merge their names';
    }
    return null;
  },
  rewrite({ node, input }, model) {
    node.output.replaceAllUsesWith(input);
    model.graph.removeNode(node);
  },
};

export const eliminateIdentityPass = rulePass({
  name: 'eliminate-identity',
  description: 'remove Identity, inference Dropout and no-op Reshape/Transpose/Cast',
  rules: [removeNoOp],
  exact: true,
});
