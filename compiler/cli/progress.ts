// A progress bar on stderr while the model runs over many samples (samples/s,
// ETA). Silent when stderr is not a terminal, so logs and CI output stay clean.

import cliProgress from 'cli-progress';

export interface Progress {
  update(label: string, done: number, total: number): void;
  stop(): void;
}

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, stop() {} };
  let bar: cliProgress.SingleBar | null = null;
  let current = '';
  let started = 0;
  return {
    update(label, done, total) {
      if (!bar || label !== current) {
        bar?.stop();
        current = label;
        started = performance.now();
        bar = new cliProgress.SingleBar(
          { stream, format: `${label.padEnd(12)} [{bar}] {value}/{total} samples | {rate} samples/s | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { rate: '-' });
      }
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(1) : '-' });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
