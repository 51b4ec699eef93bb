// Two kinds of failure, kept apart on purpose: a UserError is something the
// person running quantface can fix (a bad file, flag or config) and is shown as
// one line with a non-zero exit; anything else is our bug and keeps its stack.

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** An invariant broken inside a pass: names the pass so the bug report is useful. */
export class PassError extends Error {
  constructor(readonly passName: string, message: string) {
    super(`pass '${passName}': ${message}`);
    this.name = 'PassError';
  }
}
