// lift-constants: Constant nodes become initializers.
//
//   Before:  %w = Constant() {value=<float32[64,3,3,3]>};  %y = Conv(%x, %w)
//   After:   init %w: float32[64,3,3,3];                   %y = Conv(%x, %w)
//
// Many exporters (PaddlePaddle's, older PyTorch) keep every weight in a
// Constant node; the folding and quantization passes look for initializers.

import type { Node } from '../compiler/ir/node.ts';
import { Tensor } from '../compiler/ir/tensor.ts';
import { DataType } from '../compiler/ir/data-type.ts';
import { Rule, rulePass } from '../compiler/pass-manager/rule.ts';

const liftConstant: Rule<{ node: Node; tensor: Tensor }> = {
  name: 'constant-to-initializer',
  match(node) {
    if (node.opType !== 'Constant' || (node.domain !== '' && node.domain !== 'ai.onnx')) return null;
    const tensor = constantTensor(node);
    return tensor ? { node, tensor } : null;
  },
  check({ node }) {
    if (node.output.isGraphOutput) return 'its output is a graph output';
    return null;
  },
  rewrite({ node, tensor }, model) {
    const g = model.graph;
    const out = node.output;
    const name = out.name;
    out.name = g.freshName(`${name}_constant`);
    const init = g.addInitializer(name, tensor, { exactName: true });
    if (out.type) init.type = out.type;
    out.replaceAllUsesWith(init);
    g.removeNode(node);
  },
};

/** The tensor a Constant node holds, whichever of its attribute forms it uses. */
function constantTensor(node: Node): Tensor | null {
  const value = node.getTensor('value');
  if (value) return value;
  const f = node.getFloat('value_float');
  if (f !== undefined) return Tensor.fromTyped(DataType.FLOAT, [], Float32Array.of(f));
  const fs = node.getFloats('value_floats');
  if (fs) return Tensor.fromTyped(DataType.FLOAT, [fs.length], Float32Array.from(fs));
  const i = node.attr('value_int');
  if (i) return Tensor.fromTyped(DataType.INT64, [], BigInt64Array.of(BigInt(i.value as number | bigint)));
  const is = node.attr('value_ints');
  if (is) {
    const list = is.value as (number | bigint)[];
    return Tensor.fromTyped(DataType.INT64, [list.length], BigInt64Array.from(list.map((v) => BigInt(v))));
  }
  // value_string(s) and sparse_value stay as Constant nodes.
  return null;
}

export const liftConstantsPass = rulePass({
  name: 'lift-constants',
  description: 'Constant nodes holding tensors become initializers',
  rules: [liftConstant],
  exact: true,
});
