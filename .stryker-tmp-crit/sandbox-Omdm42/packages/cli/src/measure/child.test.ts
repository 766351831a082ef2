// @ts-nocheck
// runChild with fake executables: exit codes, signal deaths, signals sent to eff forwarded to the command.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CommandNotFoundError } from '../errors.js';
import { runChild } from './child.js';

const BIN = fileURLToPath(new URL('../../test/fixtures/bin/', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

describe('runChild', () => {
  it('returns the exit code and the wall time of the command', async () => {
    const r = await runChild(`${BIN}sleep-exit`, ['0.4', '7'], { stdoutTo: 'stderr', now });
    expect(r.code).toBe(7);
    expect(r.exitCode).toBe(7);
    expect(r.signal).toBeNull();
    expect(r.endMs - r.startMs).toBeGreaterThanOrEqual(400);
    expect(r.endMs - r.startMs).toBeLessThan(2000);
  });

  it('a command killed by a signal exits 128 + its number', async () => {
    const r = await runChild('sh', ['-c', 'kill -9 $$'], { stdoutTo: 'stderr', now });
    expect(r.signal).toBe('SIGKILL');
    expect(r.exitCode).toBe(137);
  });

  it('forwards SIGINT received by eff to the command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-child-'));
    const marker = join(dir, 'sig');
    const done = runChild(`${BIN}trap-signals`, [marker], {
      stdoutTo: 'stderr',
      now,
      // The trap is installed before the first sleep; give sh a moment, then deliver SIGINT to eff's handlers.
      onSpawn: () => setTimeout(() => process.emit('SIGINT', 'SIGINT'), 300),
    });
    const r = await done;
    expect(r.exitCode).toBe(42);
    expect((await readFile(marker, 'utf8')).trim()).toBe('INT');
    // The forwarding handler is removed once the command has ended.
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('a missing command is a typed error with exit code 127', async () => {
    const err = await runChild('no-such-command-eff-test', [], { stdoutTo: 'stderr', now }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandNotFoundError);
    expect((err as CommandNotFoundError).exitCode).toBe(127);
    expect((err as Error).message).toMatch(/ENOENT/);
  });
});
