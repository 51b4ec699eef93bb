// Plugins: a JS or TS module exporting passes (or rules, which become a pass)
// built with the same API as the built-in passes. Each may say where it goes
// in the pipeline (before/after a named pass); naming it in --passes also works.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import { UserError } from '../errors.ts';
import type { Pass } from './pass.ts';
import type { PassRegistry } from './registry.ts';
import { Rule, rulePass } from './rule.ts';

export interface Placement {
  before?: string;
  after?: string;
}

export type PluginPass = Pass & { placement?: Placement };

export interface PluginModule {
  passes?: PluginPass[];
  rules?: Rule<any>[];
  /** For `rules`: the name, description and placement of the pass they form. */
  rulePass?: { name: string; description: string; placement?: Placement; exact?: boolean };
}

export async function loadPlugin(file: string): Promise<PluginPass[]> {
  const full = path.resolve(file);
  if (!fs.existsSync(full)) throw new UserError(`plugin '${file}' not found`);
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(full).href);
  } catch (e) {
    throw new UserError(`plugin '${file}' failed to load: ${(e as Error).message.split('\n')[0]}`);
  }
  const exported = (mod.default ?? mod) as PluginModule | PluginPass | PluginPass[];
  const passes: PluginPass[] = [];
  const spec = Array.isArray(exported) ? { passes: exported } : isPass(exported) ? { passes: [exported] } : exported;
  for (const p of spec.passes ?? []) {
    if (!isPass(p)) throw new UserError(`plugin '${file}': every entry of 'passes' needs a name, a description and a run(model, ctx) function`);
    passes.push(p);
  }
  if (spec.rules?.length) {
    const rp = spec.rulePass;
    if (!rp?.name) throw new UserError(`plugin '${file}' exports rules but no rulePass { name, description } to hold them`);
    passes.push(Object.assign(rulePass({ name: rp.name, description: rp.description, rules: spec.rules, exact: rp.exact }), { placement: rp.placement }));
  }
  if (!passes.length) throw new UserError(`plugin '${file}' exports no passes (export 'passes' or 'rules', or a default pass)`);
  return passes;
}

function isPass(p: unknown): p is PluginPass {
  const q = p as Pass;
  return !!q && typeof q.name === 'string' && typeof q.description === 'string' && typeof q.run === 'function';
}

/**
 * Registers the plugin passes and places them in the pipeline: a pass already
 * named in `pipeline` stays where it was named; otherwise it goes before/after
 * its anchor, or last.
 */
export function placePluginPasses(registry: PassRegistry, pipeline: string[], plugins: PluginPass[]): string[] {
  const out = [...pipeline];
  for (const p of plugins) {
    registry.register(p);
    if (out.includes(p.name)) continue;
    const anchor = p.placement?.before ?? p.placement?.after;
    if (!anchor) {
      out.push(p.name);
      continue;
    }
    const at = out.indexOf(anchor);
    if (at < 0) throw new UserError(`plugin pass '${p.name}' wants to go ${p.placement?.before ? 'before' : 'after'} '${anchor}', which is not in the pipeline (${out.join(', ')})`);
    out.splice(p.placement?.before ? at : at + 1, 0, p.name);
  }
  return out;
}

/** Pass objects for pipeline names (pass or pipeline names, plugin passes included), plugins placed. */
export async function resolvePipeline(registry: PassRegistry, names: string[], pluginFiles: string[] | undefined): Promise<Pass[]> {
  const plugins: PluginPass[] = [];
  for (const f of pluginFiles ?? []) plugins.push(...(await loadPlugin(f)));
  // Plugin passes are registered before names are resolved, so a pipeline may name them.
  const expanded = names.flatMap((n) => (registry.has(n) ? registry.resolve([n]).map((p) => p.name) : [n]));
  const placed = placePluginPasses(registry, expanded, plugins);
  return registry.resolve(placed);
}
