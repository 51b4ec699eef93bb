// Runs a list of passes in order: times each, collects its statistics and
// declines, checks the graph's invariants after it (a pass that breaks one is a
// bug and fails loudly with its name), and prints the IR after the passes the
// user asked to see.

import { PassError } from '../errors.ts';
import type { Model } from '../ir/model.ts';
import { printModel } from '../ir/print.ts';
import { validateGraph } from '../ir/validate.ts';
import { Logger, createLogger } from '../logger.ts';
import type { Decline, Pass, PassContext } from './pass.ts';
import type { ModelServices } from './services.ts';

export interface PassReport {
  name: string;
  ms: number;
  changed: boolean;
  stats: Record<string, number>;
  declines: Decline[];
  nodesBefore: number;
  nodesAfter: number;
}

export interface RunOptions {
  logger?: Logger;
  options?: ReadonlyMap<string, unknown>;
  artifacts?: Map<string, unknown>;
  services?: ModelServices;
  /** Pass names (or 'all') after which the IR is printed. */
  printIrAfter?: ReadonlySet<string>;
  /** Where printed IR goes (stdout by default). */
  printSink?: (text: string) => void;
  /** Called after each pass; --verify hooks the numeric check in here. */
  afterPass?: (pass: Pass, model: Model, report: PassReport) => void | Promise<void>;
}

export async function runPasses(model: Model, passes: readonly Pass[], run: RunOptions = {}): Promise<PassReport[]> {
  const logger = run.logger ?? createLogger('warn');
  const artifacts = run.artifacts ?? new Map();
  const reports: PassReport[] = [];
  for (const pass of passes) {
    const report: PassReport = { name: pass.name, ms: 0, changed: false, stats: {}, declines: [], nodesBefore: model.graph.nodes.length, nodesAfter: 0 };
    const ctx: PassContext = {
      logger,
      options: run.options ?? new Map(),
      artifacts,
      services: run.services,
      decline(reason, where) {
        report.declines.push({ pass: pass.name, reason, rule: where?.rule, node: where?.node?.name });
        logger.debug(`${pass.name}${where?.rule ? `/${where.rule}` : ''}: ${where?.node ? `${where.node.describe()}: ` : ''}${reason}`);
      },
      count(stat, by = 1) {
        report.stats[stat] = (report.stats[stat] ?? 0) + by;
      },
    };
    const t0 = performance.now();
    try {
      report.changed = await pass.run(model, ctx);
    } catch (e) {
      if (e instanceof Error && e.name === 'UserError') throw e;
      if (e instanceof PassError) throw e;
      const err = new PassError(pass.name, (e as Error).message);
      err.stack = (e as Error).stack;
      throw err;
    }
    report.ms = performance.now() - t0;
    report.nodesAfter = model.graph.nodes.length;
    const problems = validateGraph(model.graph);
    if (problems.length) throw new PassError(pass.name, `left an invalid graph: ${problems.slice(0, 3).join('; ')}`);
    logger.debug(`${pass.name}: ${report.changed ? 'changed' : 'no change'} in ${report.ms.toFixed(1)} ms ${JSON.stringify(report.stats)}`);
    if (run.printIrAfter && (run.printIrAfter.has(pass.name) || run.printIrAfter.has('all'))) {
      (run.printSink ?? ((t) => process.stdout.write(t)))(`// ----- IR after ${pass.name} -----\n${printModel(model)}\n`);
    }
    reports.push(report);
    await run.afterPass?.(pass, model, report);
  }
  return reports;
}
