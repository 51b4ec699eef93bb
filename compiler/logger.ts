// Messages for the person running quantface. Everything goes to stderr so
// that stdout stays clean for --json output and printed IR.

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

const ORDER: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function createLogger(level: LogLevel = 'info', sink: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const at = ORDER[level];
  return {
    error: (m) => at >= 1 && sink(`error: ${m}`),
    warn: (m) => at >= 2 && sink(`warning: ${m}`),
    info: (m) => at >= 3 && sink(m),
    debug: (m) => at >= 4 && sink(`debug: ${m}`),
  };
}

/** A logger that keeps lines in memory (tests, reports). */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger(level, (l) => lines.push(l)), { lines });
}
