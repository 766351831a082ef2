// @ts-nocheck
// Samplers die with their parent: a tool that ignores SIGPIPE/SIGTERM/SIGINT/SIGHUP, run by the real nvidia-smi
// probe in a separate Node process (main thread or worker thread), is gone soon after that process ends, each way.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { alive, gone } from '../test/processes.js';
import { resolveExecutable, toolLifetimeGuard } from './child-lifetime.js';

const HOST = fileURLToPath(new URL('../test/sampler-host.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const STUBBORN_BIN = fileURLToPath(new URL('../test/fixtures/stubborn-bin', import.meta.url));
const OLD_SETPRIV_BIN = fileURLToPath(new URL('../test/fixtures/old-setpriv-bin', import.meta.url));
/** How long a tool may outlive its parent: the kernel's parent-death signal and the exit hooks act at once. */
const GONE_WITHIN_MS = 1500;

interface Host {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  pidfile: string;
  toolPid?: number;
}

/** SIGKILL, if still there: a failing test must not leave a process behind that only SIGKILL can end. */
function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone, as it should be
  }
}

function startHost(ctx: TestContext, where: 'main' | 'worker', end: string, pathFirst: string[] = []): Host {
  const pidfile = join(mkdtempSync(join(tmpdir(), 'eff-lifetime-')), 'tool.pid');
  const child = spawn(process.execPath, ['--import', TSX, HOST, where, end], {
    env: {
      ...process.env,
      PATH: [...pathFirst, STUBBORN_BIN, process.env.PATH ?? ''].join(delimiter),
      STUBBORN_PIDFILE: pidfile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ctx.onTestFinished(() => {
    killQuietly(child.pid);
    if (host.toolPid !== undefined) killQuietly(host.toolPid);
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const host: Host = { child, stdout: () => stdout, stderr: () => stderr, ended, pidfile };
  return host;
}

/** Waits until the host printed `sampling` and returns the tool's pid; fails with the host's output otherwise. */
async function samplingTool(host: Host): Promise<number> {
  const until = Date.now() + 75_000;
  while (!host.stdout().includes('sampling')) {
    if (host.child.exitCode !== null || host.child.signalCode !== null || Date.now() > until) {
      throw new Error(`the host did not start sampling:\n${host.stdout()}\n${host.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const pid = Number(readFileSync(host.pidfile, 'utf8').trim().split('\n')[0]);
  host.toolPid = pid;
  return pid;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SLOW = { timeout: 120_000 };
// Each case starts a Node process (3 s or far more through tsx on a busy machine), one after another: side by
// side they starve each other.

describe('the fake tool', () => {
  it('really outlives a closed pipe and SIGTERM/SIGINT/SIGHUP (so the tests below can fail)', async (ctx) => {
    const pidfile = join(mkdtempSync(join(tmpdir(), 'eff-lifetime-')), 'tool.pid');
    const tool = spawn(
      join(STUBBORN_BIN, 'nvidia-smi'),
      ['--query-gpu=index,uuid,power.draw', '--format=csv,noheader,nounits', '-lms', '50'],
      { env: { ...process.env, STUBBORN_PIDFILE: pidfile }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    ctx.onTestFinished(() => killQuietly(tool.pid));
    await new Promise((r) => tool.stdout?.once('data', r));
    tool.stdout?.destroy();
    for (const s of SIGNALS) tool.kill(s);
    await new Promise((r) => setTimeout(r, 400));
    expect(alive(tool.pid!)).toBe(true);
  });
});

describe.each(['main', 'worker'] as const)('a tool started in the %s thread, setpriv available', (where) => {
  it.skipIf(toolLifetimeGuard().method !== 'setpriv')('setpriv is detected on this machine', () => {
    expect(toolLifetimeGuard().setpriv).toBe(resolveExecutable('setpriv', process.env.PATH));
  });

  it.for(['exit', 'throw'] as const)('is gone after the process ends by %s', SLOW, async (end, ctx) => {
    const host = startHost(ctx, where, end);
    const pid = await samplingTool(host);
    const { code } = await host.ended;
    expect(code, host.stderr()).toBe(end === 'exit' ? 0 : 1);
    expect(await gone(pid, GONE_WITHIN_MS)).toBe(true);
  });

  it.for([...SIGNALS, 'SIGKILL'] as const)(
    'is gone after %s, which still ends the process',
    SLOW,
    async (signal, ctx) => {
      const host = startHost(ctx, where, 'wait');
      const pid = await samplingTool(host);
      expect(alive(pid)).toBe(true);
      host.child.kill(signal);
      // Not swallowed: the process dies of the signal itself, so a shell or scheduler sees 128+N.
      expect((await host.ended).signal).toBe(signal);
      expect(await gone(pid, GONE_WITHIN_MS)).toBe(true);
    },
  );
});

describe('a worker thread that keeps sampling', () => {
  it(
    'keeps its tool alive while it runs (the parent-death signal follows the worker, not a finished call)',
    SLOW,
    async (ctx) => {
      const host = startHost(ctx, 'worker', 'stop-after-ms=2000');
      const pid = await samplingTool(host);
      await new Promise((r) => setTimeout(r, 1500));
      expect(alive(pid)).toBe(true);
      expect(host.stdout()).not.toMatch(/error:/);
      const { code } = await host.ended;
      expect(code, host.stderr()).toBe(0);
      // ~20 rows at 100 ms; a heavily loaded machine delays many, but they keep coming.
      expect(Number(/events ([0-9]+)/.exec(host.stdout())?.[1])).toBeGreaterThanOrEqual(5);
      expect(await gone(pid, GONE_WITHIN_MS)).toBe(true);
    },
  );
});

describe.each(['main', 'worker'] as const)(
  'a tool started in the %s thread, without --pdeathsig',
  (where) => {
    it.for(['exit', 'throw'] as const)(
      'is gone after the process ends by %s, with one note',
      SLOW,
      async (end, ctx) => {
        const host = startHost(ctx, where, end, [OLD_SETPRIV_BIN]);
        const pid = await samplingTool(host);
        await host.ended;
        expect(await gone(pid, GONE_WITHIN_MS)).toBe(true);
        if (end === 'exit' && where === 'worker') return; // exit(0) may come before the worker's note is printed
        expect(host.stderr().match(/EFF_NO_PDEATHSIG/g) ?? [], host.stderr()).toHaveLength(1);
        expect(host.stderr()).toMatch(/does not support --pdeathsig/);
      },
    );

    it.for(SIGNALS)('is gone after %s, which still ends the process', SLOW, async (signal, ctx) => {
      const host = startHost(ctx, where, 'wait', [OLD_SETPRIV_BIN]);
      const pid = await samplingTool(host);
      // The worker reports its tool to the main thread asynchronously; a signal in the first instant would race it.
      await new Promise((r) => setTimeout(r, 200));
      host.child.kill(signal);
      expect((await host.ended).signal).toBe(signal);
      expect(await gone(pid, GONE_WITHIN_MS)).toBe(true);
    });
  },
);

describe('resolveExecutable', () => {
  it('finds a tool on PATH like a shell, and nothing for a missing or non-executable name', () => {
    const path = [OLD_SETPRIV_BIN, STUBBORN_BIN].join(delimiter);
    expect(resolveExecutable('nvidia-smi', path)).toBe(join(STUBBORN_BIN, 'nvidia-smi'));
    expect(resolveExecutable('setpriv', path)).toBe(join(OLD_SETPRIV_BIN, 'setpriv'));
    expect(resolveExecutable('no-such-tool', path)).toBeNull();
    expect(resolveExecutable(join(STUBBORN_BIN, 'nvidia-smi'), '')).toBe(join(STUBBORN_BIN, 'nvidia-smi'));
    expect(resolveExecutable(HOST, path)).toBeNull(); // a file, but not executable
  });
});
