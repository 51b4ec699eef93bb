// Local rewrites as rules (pattern, check, rewrite), the MLIR way: `match` finds
// the shape of the pattern around a node, `check` never mutates and returns why
// it declines (or null), `rewrite` changes the graph. rulePass applies a set of
// rules over the graph until nothing matches any more.

import type { Model } from '../ir/model.ts';
import type { Node } from '../ir/node.ts';
import type { Pass, PassContext } from './pass.ts';

export interface Rule<M = unknown> {
  readonly name: string;
  readonly description?: string;
  /** Structural match rooted at `node`, or null. Must not mutate. */
  match(node: Node, model: Model): M | null;
  /** Why the match must not be rewritten, or null to go ahead. Must not mutate. */
  check?(match: M, model: Model, ctx: PassContext): string | null;
  rewrite(match: M, model: Model, ctx: PassContext): void;
}

export interface RulePassSpec {
  name: string;
  description: string;
  rules: Rule<any>[];
  exact?: boolean;
  /** Safety net against rules that undo each other. */
  maxSweeps?: number;
}

export function rulePass(spec: RulePassSpec): Pass {
  return {
    name: spec.name,
    description: spec.description,
    exact: spec.exact,
    run(model: Model, ctx: PassContext): boolean {
      const declined = new Set<string>();
      let changedAny = false;
      const maxSweeps = spec.maxSweeps ?? 50;
      for (let sweep = 0; sweep < maxSweeps; sweep++) {
        let changed = false;
        for (const node of model.graph.nodes) {
          for (const rule of spec.rules) {
            if (!node.isInGraph) break;
            const m = rule.match(node, model);
            if (m === null) continue;
            const reason = rule.check?.(m, model, ctx) ?? null;
            if (reason !== null) {
              const key = `${rule.name}\u0000${node.name}\u0000${reason}`;
              if (!declined.has(key)) {
                declined.add(key);
                ctx.decline(reason, { node, rule: rule.name });
              }
              continue;
            }
            rule.rewrite(m, model, ctx);
            ctx.count(rule.name);
            changed = true;
          }
        }
        if (!changed) return changedAny;
        changedAny = true;
      }
      ctx.logger.warn(`${spec.name}: stopped after ${maxSweeps} sweeps; rules may be undoing each other`);
      return changedAny;
    },
  };
}
