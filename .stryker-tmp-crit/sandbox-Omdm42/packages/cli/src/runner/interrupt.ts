// @ts-nocheck
// Ctrl-C handling of long commands: the first signal asks the grid to stop cleanly, the second exits.
import { InterruptedError } from '../errors.js';
import type { CliIo } from '../io.js';

/**
 * Ctrl-C (SIGINT) or SIGTERM aborts the run in progress at the next batch; finished runs stay in the
 * results. A second Ctrl-C exits at once.
 */
export function interruptOnSignals(io: CliIo): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.stderr.write(`\neff: second ${name}, exiting now.\n`);
      process.exit(130);
    }
    io.stderr.write(
      `\neff: ${name} received: stopping the current run (it will be redone on the next start); finished runs are kept. Press Ctrl-C again to exit at once.\n`,
    );
    controller.abort(new InterruptedError(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
