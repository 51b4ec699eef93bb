// fuse-pad: a zero Pad folded into the Conv or pool that reads it.
//
//   Before:  %p = Pad(%x, pads=[0,0,1,1, 0,0,1,1], value=0);  %y = Conv(%p, %W)
//   After:   %y = Conv(%x, %W) {pads += [1,1,1,1]}
//
// Only constant-mode padding of the spatial axes with value 0, only when the
// Pad output feeds nothing else. AveragePool takes it only with
// count_include_pad=1 (otherwise the padded zeros would leave the average);
// MaxPool never (it pads with -inf, not 0).

import { Attribute } from '../compiler/ir/attribute.ts';
import type { Node } from '../compiler/ir/node.ts';
import { Rule, rulePass } from '../compiler/pass-manager/rule.ts';

interface PadMatch {
  pad: Node;
  consumer: Node;
  /** [begin..., end...] over all axes. */
  pads: number[];
}

const fusePad: Rule<PadMatch> = {
  name: 'fuse-pad',
  match(node) {
    if (node.opType !== 'Pad' || (node.domain !== '' && node.domain !== 'ai.onnx')) return null;
    const consumers = node.output.consumers();
    if (consumers.length !== 1) return null;
    const consumer = consumers[0];
    if (!['Conv', 'AveragePool', 'MaxPool'].includes(consumer.opType) || consumer.input(0) !== node.output) return null;
    const padsInput = node.input(1);
    const pads = padsInput ? (padsInput.isConstant ? padsInput.constValue!.toNumbers() : null) : node.getInts('pads') ?? null;
    if (!pads) return null;
    return { pad: node, consumer, pads };
  },
  check({ pad, consumer, pads }) {
    if (pad.getString('mode', 'constant') !== 'constant') return `mode is ${pad.getString('mode')}`;
    const valueInput = pad.input(2);
    const value = valueInput ? (valueInput.isConstant ? Number(valueInput.constValue!.toFloat32()[0]) : NaN) : pad.getFloat('value', 0);
    if (value !== 0) return Number.isNaN(value) ? 'the pad value is not a constant' : `the pad value is ${value}, not 0`;
    if (pad.input(3)) return 'it pads selected axes only (axes input)';
    if (pad.output.uses.length !== 1 || pad.output.isGraphOutput) return 'its output has other users';
    const rank = pads.length / 2;
    if (pads.some((p) => p < 0)) return 'negative pads crop';
    if (pads[0] || pads[1] || pads[rank] || pads[rank + 1]) return 'it pads the batch or channel axis';
    if (consumer.getString('auto_pad', 'NOTSET') !== 'NOTSET') return `${consumer.opType} uses auto_pad`;
    if (consumer.opType === 'MaxPool') return 'MaxPool pads with -inf, not 0';
    if (consumer.opType === 'AveragePool' && consumer.getInt('count_include_pad', 0) !== 1) return 'AveragePool excludes padding from its average (count_include_pad=0)';
    return null;
  },
  rewrite({ pad, consumer, pads }, model) {
    const rank = pads.length / 2;
    const spatial = rank - 2;
    const own = consumer.getInts('pads') ?? new Array(2 * spatial).fill(0);
    const merged = own.map((p, i) => p + (i < spatial ? pads[2 + i] : pads[rank + 2 + (i - spatial)]));
    consumer.setAttr(Attribute.ints('pads', merged));
    consumer.replaceInput(0, pad.input(0));
    model.graph.removeNode(pad);
  },
};

export const fusePadPass = rulePass({
  name: 'fuse-pad',
  description: 'fold a constant zero Pad into the Conv or AveragePool (count_include_pad) that follows',
  rules: [fusePad],
  exact: true,
});
