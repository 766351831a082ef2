// Ctrl-C handling of long commands: the first signal asks the grid to stop cleanly, the second exits.
import { constants } from 'node:os';
import { InterruptedError } from '../errors.js';
import type { CliIo } from '../io.js';

const HANDLED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The conventional exit status of a process ended by `signal`: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 2);
}

/**
 * Ctrl-C (SIGINT), SIGTERM (a scheduler's time limit) or SIGHUP (the terminal closed) aborts the run in progress
 * at the next batch; finished runs stay in the results. A second signal exits at once with 128+N (the exit hook
 * of @eff/probes kills the sampling tools first). `exitCode()` is 128+N of the first signal, for the caller to
 * end with once it has stopped, or null when none came.
 */
export function interruptOnSignals(io: CliIo): {
  signal: AbortSignal;
  dispose: () => void;
  exitCode: () => number | null;
} {
  const controller = new AbortController();
  let first: NodeJS.Signals | null = null;
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.stderr.write(`\neff: second ${name}, exiting now.\n`);
      process.exit(signalExitCode(name));
    }
    first = name;
    io.stderr.write(
      `\neff: ${name} received: stopping the current run (it will be redone on the next start); finished runs are kept. Press Ctrl-C again to exit at once.\n`,
    );
    controller.abort(new InterruptedError(`interrupted by ${name}`));
  };
  for (const s of HANDLED) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of HANDLED) process.off(s, onSignal);
    },
    exitCode: () => (first === null ? null : signalExitCode(first)),
  };
}
