import type { CommandModule } from 'yargs';
import { summarizeModel, ModelSummary } from '../../inspect.ts';
import { loadModel } from '../../onnx/load.ts';
import { formatBytes, table } from '../format.ts';

interface Args {
  model: string;
  json: boolean;
}

export const inspectCommand: CommandModule<object, Args> = {
  command: 'inspect <model>',
  describe: 'show what a model holds: interface, ops, parameters, what is quantized',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of text' }) as never,
  handler: (args) => {
    const summary = summarizeModel(loadModel(args.model));
    process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(args.model, summary));
  },
};

function formatSummary(file: string, s: ModelSummary): string {
  const shape = (v: { shape: (number | string | null)[] | null }) => (v.shape ? `[${v.shape.map((d) => d ?? '?').join(', ')}]` : '[?]');
  const lines = [
    `${file}`,
    `  ir_version ${s.irVersion}, opsets ${Object.entries(s.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}${s.producer ? `, producer ${s.producer}` : ''}`,
    ...s.inputs.map((v) => `  input  ${v.name}: ${v.type}${shape(v)}`),
    ...s.outputs.map((v) => `  output ${v.name}: ${v.type}${shape(v)}`),
    `  ${s.nodes} nodes, ${s.parameters.total.toLocaleString('en-US')} parameters (${formatBytes(s.parameters.bytes)}), ${s.batchNormalization} BatchNormalization`,
    '',
    table(['op', 'count'], Object.entries(s.ops).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)])),
    '',
    table(['parameters', 'count', 'tensors', 'bytes'], Object.entries(s.parameters.byType).map(([k, v]) => [k, v.count.toLocaleString('en-US'), String(v.tensors), formatBytes(v.bytes)])),
    '',
  ];
  const q = s.quantization;
  if (q.quantizeLinear + q.dequantizeLinear + Object.keys(q.integerOps).length === 0) {
    lines.push('  not quantized');
  } else {
    lines.push(`  quantized: ${q.quantizeLinear} QuantizeLinear, ${q.dequantizeLinear} DequantizeLinear`);
    for (const [bits, w] of Object.entries(q.integerWeights)) lines.push(`    weights ${bits}: ${w.tensors} tensors, ${w.parameters.toLocaleString('en-US')} parameters`);
    for (const [bits, n] of Object.entries(q.activations)) lines.push(`    activations ${bits}: ${n} tensors`);
    for (const [op, n] of Object.entries(q.integerOps)) lines.push(`    integer op ${op}: ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
