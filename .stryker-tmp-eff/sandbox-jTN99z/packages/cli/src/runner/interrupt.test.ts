// @ts-nocheck
// Ctrl-C during a grid: the first SIGINT/SIGTERM aborts with an InterruptedError reason and says what happens next.
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../errors.js';
import type { CliIo } from '../io.js';
import { interruptOnSignals } from './interrupt.js';

function io(): CliIo & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (err += s) },
    env: {},
    cwd: '/',
    err: () => err,
  };
}

describe('interruptOnSignals', () => {
  it('aborts on SIGINT, tells the user finished runs are kept, and removes its handlers', () => {
    const out = io();
    const interrupt = interruptOnSignals(out);
    expect(interrupt.signal.aborted).toBe(false);
    process.emit('SIGINT', 'SIGINT');
    expect(interrupt.signal.aborted).toBe(true);
    expect(interrupt.signal.reason).toBeInstanceOf(InterruptedError);
    expect(out.err()).toMatch(/SIGINT received: stopping the current run .* finished runs are kept/);
    interrupt.dispose();
    expect(process.listenerCount('SIGINT')).toBe(0);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
  it('SIGTERM aborts the same way', () => {
    const interrupt = interruptOnSignals(io());
    process.emit('SIGTERM', 'SIGTERM');
    expect(interrupt.signal.aborted).toBe(true);
    interrupt.dispose();
  });
});
