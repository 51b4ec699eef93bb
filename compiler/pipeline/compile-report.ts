// The compile report: everything `quantface compile` measured, per layer, as
// JSON that validates against schemas/compile-report.schema.json.

import crypto from 'node:crypto';
import path from 'node:path';
import type { PassReport } from '../pass-manager/pass-manager.ts';
import type { SizeReport } from '../quant/size-report.ts';
import type { CompareReport } from '../../runtime/evaluation/compare-models.ts';
import type { CompileResult, Stage } from './compile.ts';
import { writeAtomic } from '../onnx/save.ts';
import packageJson from '../../package.json' with { type: 'json' };

export const REPORT_VERSION = 1;

export interface CompileReport {
  version: number;
  quantface: string;
  input: { file: string; sha256: string; bytes: number };
  output: { file: string; bytes: number };
  options: Record<string, unknown>;
  calibration: { samples: number; generator: Record<string, unknown> };
  stages: Stage[];
  passes: PassReport[];
  quantization: CompileResult['summary'];
  size: SizeReport;
  evaluation: CompareReport | null;
}

export function buildCompileReport(parts: { args: object; inputBytes: Uint8Array; outputFile: string; result: CompileResult; size: SizeReport; stages: Stage[]; evaluation?: CompareReport }): CompileReport {
  // yargs repeats every kebab-case flag in camelCase; keep the spelling users type.
  const options = Object.fromEntries(Object.entries(parts.args).filter(([k, v]) => k !== '_' && k !== '$0' && !/[A-Z]/.test(k) && v !== undefined));
  return {
    version: REPORT_VERSION,
    quantface: packageJson.version,
    input: { file: path.resolve((parts.args as { model: string }).model), sha256: crypto.createHash('sha256').update(parts.inputBytes).digest('hex'), bytes: parts.inputBytes.byteLength },
    output: { file: path.resolve(parts.outputFile), bytes: parts.size.quantizedFileBytes ?? 0 },
    options,
    calibration: parts.result.calibration,
    stages: parts.stages,
    passes: parts.result.reports,
    quantization: parts.result.summary,
    size: parts.size,
    evaluation: parts.evaluation ?? null,
  };
}

/** JSON without Infinity turning into null silently: an identical tensor's SQNR is written as a string. */
export function writeReport(file: string, report: CompileReport): void {
  const text = JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
  writeAtomic(path.resolve(file), [Buffer.from(`${text}\n`)]);
}
