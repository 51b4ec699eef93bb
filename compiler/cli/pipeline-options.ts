// Options shared by the commands that run passes (optimize, compile): which
// passes, plugins and where they go, IR printing, verification.

import type { Argv } from 'yargs';
import type { PassReport } from '../pass-manager/pass-manager.ts';
import { formatMs, table } from './format.ts';

export interface PipelineArgs {
  plugin?: string[];
  'print-ir-after'?: string[];
  verify?: boolean;
}

export function withPipelineOptions<T>(y: Argv<T>): Argv<T & PipelineArgs> {
  return y
    .option('plugin', { type: 'string', array: true, describe: 'JS/TS module exporting passes; each goes where it asks (before/after a pass) or last' })
    .option('print-ir-after', { type: 'string', array: true, describe: "print the IR after these passes ('all' for every pass)" })
    .option('verify', { type: 'boolean', default: false, describe: 'after each pass, check the graph and compare outputs with the input model (exact passes must match)' }) as Argv<T & PipelineArgs>;
}

/** Splits comma lists given once or several times: --passes a,b --passes c. */
export function splitList(values: string[] | string | undefined): string[] {
  return (Array.isArray(values) ? values : values ? [values] : []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function passTimingTable(reports: PassReport[]): string {
  return table(
    ['pass', 'time', 'changed', 'nodes', 'stats'],
    reports.map((r) => [
      r.name,
      formatMs(r.ms),
      r.changed ? 'yes' : 'no',
      r.nodesBefore === r.nodesAfter ? String(r.nodesAfter) : `${r.nodesBefore} -> ${r.nodesAfter}`,
      Object.entries(r.stats).map(([k, v]) => `${k}=${v}`).join(' ') + (r.declines.length ? ` declined=${r.declines.length}` : ''),
    ]),
  );
}
