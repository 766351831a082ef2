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
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const)('%s aborts the same way and asks to end with %i (128+N)', (name, code) => {
    const interrupt = interruptOnSignals(io());
    expect(interrupt.exitCode()).toBeNull();
    process.emit(name, name);
    expect(interrupt.signal.aborted).toBe(true);
    expect(interrupt.exitCode()).toBe(code);
    interrupt.dispose();
  });
});
