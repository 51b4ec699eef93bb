// A readable text form of the IR, for --print-ir-after and for tests:
//   %518 = Conv(%input, %519, %520) {kernel_shape=[3,3], strides=[2,2]}
// Initializers are summarised by type and shape, never dumped.

import { dataTypeName } from './data-type.ts';
import type { Model } from './model.ts';
import { topologicalOrder } from './topological-sort.ts';
import type { Value } from './value.ts';

export function printModel(model: Model): string {
  const g = model.graph;
  const lines: string[] = [];
  const opsets = [...model.opsetImports].map(([d, v]) => `${d || 'ai.onnx'}:${v}`).join(', ');
  lines.push(`model ir_version=${model.irVersion} opsets=[${opsets}] producer=${JSON.stringify(model.producerName)}`);
  lines.push(`graph ${JSON.stringify(g.name)} (${g.inputs.filter((v) => !v.isInitializer).map(typed).join(', ')}) -> (${g.outputs.map(typed).join(', ')}) {`);
  for (const v of g.initializers()) lines.push(`  init ${typed(v)}`);
  for (const n of topologicalOrder(g)) {
    const outs = n.outputs.map((o) => (o.name ? `%${o.name}` : '_')).join(', ');
    const ins = n.inputs.map((v) => (v ? `%${v.name}` : '_')).join(', ');
    const attrs = [...n.attributes.values()].map((a) => `${a.name}=${a.describe()}`);
    const domain = n.domain ? `${n.domain}::` : '';
    lines.push(`  ${outs} = ${domain}${n.opType}(${ins})${attrs.length ? ` {${attrs.join(', ')}}` : ''}  # ${n.name}`);
  }
  lines.push('}');
  return lines.join('\n');
}

function typed(v: Value): string {
  const t = v.constValue
    ? `${dataTypeName(v.constValue.dataType)}[${v.constValue.dims.join(',')}]`
    : v.tensorType
      ? `${dataTypeName(v.tensorType.elemType)}[${v.tensorType.shape?.map((d) => d ?? '?').join(',') ?? '...'}]`
      : '?';
  return `%${v.name}: ${t}`;
}
