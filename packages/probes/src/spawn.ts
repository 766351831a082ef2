// Runs a sampling tool as a child process and turns its stdout into a cold Observable of lines with stall/exit errors.
import type { ChildProcess } from 'node:child_process';
import { Observable } from 'rxjs';
import { spawnTool } from './child-lifetime.js';
import { ProbeExitedError, ProbeStalledError, ProbeUnavailableError } from './errors.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SpawnLinesOptions {
  /** Tool name for messages, e.g. `nvidia-smi`. */
  tool: string;
  /** Silence longer than this between lines is a stall (typically 5 x interval, at least 2 s). */
  stallMs: number;
  /**
   * Allowance in ms for the first line, counted from spawn (default FIRST_LINE_ALLOWANCE_MS, never below
   * `stallMs`): a tool's start-up (nvidia-smi initialising the driver without persistence mode) is not a stall.
   */
  firstLineMs?: number;
  /** Called with the child once it is spawned (tests read its pid). */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Default allowance for a sampler's first line (15 s): nvidia-smi without persistence mode spends seconds loading
 * the driver before its first row, which would otherwise be killed as a stall.
 */
export const FIRST_LINE_ALLOWANCE_MS = 15_000;

/** Tool output as one line for messages and tables: non-empty lines joined with ' | '. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
}

/** Kills the child: SIGTERM, then SIGKILL if it is still there 500 ms later. */
export function killChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timerId = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 500);
  timerId.unref();
  child.once('exit', () => clearTimeout(timerId));
}

/**
 * Each subscription spawns `binary args`; every complete stdout line is emitted. The stream errors with
 * ProbeUnavailableError if the binary is missing, ProbeExitedError when the tool exits (any code: a sampler
 * must not stop by itself) and ProbeStalledError when it is silent for `stallMs` between outputs, or prints nothing
 * within `firstLineMs` (default 15 s) of its spawn. Unsubscribing kills it.
 */
export function spawnLines(
  binary: string,
  args: readonly string[],
  options: SpawnLinesOptions,
): Observable<string> {
  return new Observable<string>((subscriber) => {
    const child = spawnTool(binary, args);
    options.onSpawn?.(child);
    let buffered = '';
    let stderrTail = '';
    let lastLine = '';
    let stallTimer: NodeJS.Timeout | undefined;
    const firstLineMs = Math.max(options.firstLineMs ?? FIRST_LINE_ALLOWANCE_MS, options.stallMs);
    const armStall = (limitMs: number, what: string): void => {
      if (stallTimer) clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        subscriber.error(
          new ProbeStalledError(
            `${options.tool} printed nothing for ${limitMs} ms ${what}; ` +
              'the tool or driver hung: check it by running it by hand, or raise the interval',
          ),
        );
        killChild(child);
      }, limitMs);
    };
    // until the first output the start-up allowance applies; after it, the per-interval stall limit
    armStall(firstLineMs, 'after it started (start-up allowance)');
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      armStall(options.stallMs, '(expected a line every interval)');
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).replace(/\r$/, '');
        buffered = buffered.slice(newline + 1);
        if (line.trim() !== '') lastLine = line;
        subscriber.next(line);
        if (subscriber.closed) return;
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (stallTimer) clearTimeout(stallTimer);
      if (err.code === 'ENOENT') {
        subscriber.error(
          new ProbeUnavailableError(
            `${options.tool}: executable \`${binary}\` not found on PATH; install it or pass \`binary\``,
            { cause: err },
          ),
        );
      } else {
        subscriber.error(err);
      }
    });
    child.on('close', (code, signal) => {
      if (stallTimer) clearTimeout(stallTimer);
      if (subscriber.closed) return;
      // some tools (powerstat) print their fatal error on stdout
      const stderr = oneLine(stderrTail.trim() || buffered.trim() || lastLine.trim()).slice(-500);
      subscriber.error(
        new ProbeExitedError(
          `${options.tool} exited (code ${code ?? 'none'}, signal ${signal ?? 'none'}) while sampling; ` +
            `expected it to run until unsubscribed${stderr ? `. It said: ${stderr}` : ''}`,
          code,
          signal,
          stderr ? { lastWords: stderr } : {},
        ),
      );
    });
    return () => {
      if (stallTimer) clearTimeout(stallTimer);
      killChild(child);
    };
  });
}

/**
 * One run of a polled tool as a cold Observable: subscribing spawns it, the result is emitted when it exits,
 * unsubscribing (e.g. stopping a probe while a poll is in flight) kills it at once. A run longer than `timeoutMs`
 * is killed and errors with ProbeStalledError; a missing binary errors with the spawn error (ENOENT).
 */
export function runOnce$(
  binary: string,
  args: readonly string[],
  options: {
    tool: string;
    timeoutMs: number;
    onSpawn?: (child: ChildProcess) => void;
    env?: NodeJS.ProcessEnv;
  },
): Observable<RunResult> {
  return new Observable<RunResult>((subscriber) => {
    const child = spawnTool(binary, args, options.env ? { env: { ...process.env, ...options.env } } : {});
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timerId = setTimeout(() => {
      killChild(child);
      subscriber.error(
        new ProbeStalledError(
          `${options.tool} did not finish within ${options.timeoutMs} ms (killed); the tool or driver hung: ` +
            'run it by hand to check, or raise the interval',
        ),
      );
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timerId);
      subscriber.error(err);
    });
    child.on('close', (code) => {
      clearTimeout(timerId);
      subscriber.next({ code, stdout, stderr });
      subscriber.complete();
    });
    return () => {
      clearTimeout(timerId);
      killChild(child);
    };
  });
}

/**
 * Runs a command to completion and returns its exit code and output (for capability checks); rejects on a spawn
 * error (ENOENT when missing). Past `timeoutMs` it is killed (SIGTERM, then SIGKILL) and resolves with code null.
 */
export function runOnce(binary: string, args: readonly string[], timeoutMs = 5000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnTool(binary, args);
    const timerId = setTimeout(() => killChild(child), timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', (err) => {
      clearTimeout(timerId);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timerId);
      resolve({ code, stdout, stderr });
    });
  });
}
