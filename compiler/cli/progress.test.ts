import { expect } from 'chai';
import { Writable } from 'node:stream';
import { terminalProgress } from './progress.ts';

function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = new Writable({
    write(chunk, _enc, done) {
      (s as unknown as { text: string }).text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: string };
  s.text = '';
  Object.assign(s, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return s;
}

describe('calibration progress bar', () => {
  it('shows samples/s and ETA on a terminal', () => {
    const out = stream(true);
    const p = terminalProgress(out);
    for (let i = 1; i <= 4; i++) p.update('calibration', i, 8);
    p.stop();
    expect(out.text).to.match(/calibration/);
    expect(out.text).to.match(/samples\/s/);
    expect(out.text).to.match(/ETA/);
  });

  it('is silent when the output is not a terminal', () => {
    const out = stream(false);
    const p = terminalProgress(out);
    p.update('calibration', 1, 8);
    p.stop();
    expect(out.text).to.equal('');
  });
});
