// @ts-nocheck
// Runs the measured command as a child process, forwarding SIGINT/SIGTERM/SIGHUP, and reports how it ended.
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { CommandNotFoundError } from '../errors.js';

export interface ChildOutcome {
  /** The child's exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What `eff measure` exits with: the child's code, or 128 + signal number like a shell. */
  exitCode: number;
  startMs: number;
  endMs: number;
}

export interface RunChildOptions {
  /** Where the child's stdout goes: our stdout (default) or our stderr (so `--json` keeps stdout clean). */
  stdoutTo: 'stdout' | 'stderr';
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called once the child has been spawned (probes are already sampling). */
  onSpawn?: () => void;
  now: () => number;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export function runChild(
  command: string,
  args: readonly string[],
  options: RunChildOptions,
): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    // While the child runs, a signal to eff is passed on to it and eff waits to report, instead of dying.
    // The handlers go in before the spawn: a busy machine can pause eff between spawn() and the next line
    // long enough for the child to start and for someone to signal eff.
    let child: ChildProcess | null = null;
    let early: NodeJS.Signals | null = null;
    const forward = (signal: NodeJS.Signals) => {
      if (!child) early = signal;
      else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const cleanup = () => {
      for (const s of FORWARDED) process.off(s, forward);
    };
    const startMs = options.now();
    try {
      child = spawn(command, [...args], {
        stdio: ['inherit', options.stdoutTo === 'stdout' ? 'inherit' : process.stderr, 'inherit'],
        env: options.env,
        cwd: options.cwd,
      });
    } catch (err) {
      cleanup();
      reject(err);
      return;
    }
    if (early) forward(early);
    child.once('spawn', () => options.onSpawn?.());
    child.once('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(new CommandNotFoundError(command, err.code ?? err.message));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      const signalNumber = signal ? (constants.signals[signal] ?? 0) : 0;
      resolve({
        code,
        signal,
        exitCode: code ?? 128 + signalNumber,
        startMs,
        endMs: options.now(),
      });
    });
  });
}
