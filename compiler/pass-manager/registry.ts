// One registry of passes and named pipelines, fed by built-in passes and
// plugins alike; the CLI, config files and the compile pipeline all resolve
// names here.

import { UserError } from '../errors.ts';
import type { Pass } from './pass.ts';

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export class PassRegistry {
  private readonly passes = new Map<string, Pass>();
  private readonly pipelines = new Map<string, { description: string; passes: string[] }>();

  register(pass: Pass): void {
    if (!KEBAB.test(pass.name)) throw new UserError(`pass name '${pass.name}' must be kebab-case (e.g. 'fold-batchnorm')`);
    if (this.passes.has(pass.name) || this.pipelines.has(pass.name)) throw new UserError(`a pass or pipeline named '${pass.name}' is already registered`);
    this.passes.set(pass.name, pass);
  }

  registerPipeline(name: string, description: string, passes: string[]): void {
    if (this.passes.has(name) || this.pipelines.has(name)) throw new UserError(`a pass or pipeline named '${name}' is already registered`);
    for (const p of passes) this.get(p);
    this.pipelines.set(name, { description, passes });
  }

  has(name: string): boolean {
    return this.passes.has(name) || this.pipelines.has(name);
  }

  get(name: string): Pass {
    const pass = this.passes.get(name);
    if (!pass) throw new UserError(`unknown pass '${name}'; valid passes: ${this.names().join(', ')}`);
    return pass;
  }

  /** Expands pipeline names into their passes. */
  resolve(names: readonly string[]): Pass[] {
    return names.flatMap((n) => {
      const pipeline = this.pipelines.get(n);
      return pipeline ? this.resolve(pipeline.passes) : [this.get(n)];
    });
  }

  names(): string[] {
    return [...this.passes.keys(), ...this.pipelines.keys()].sort();
  }

  list(): { name: string; description: string; kind: 'pass' | 'pipeline' }[] {
    return [
      ...[...this.passes.values()].map((p) => ({ name: p.name, description: p.description, kind: 'pass' as const })),
      ...[...this.pipelines].map(([name, p]) => ({ name, description: `${p.description} (${p.passes.join(' -> ')})`, kind: 'pipeline' as const })),
    ];
  }
}
