// @ts-nocheck
// Test helper process: samples the nvidia-smi probe (in this thread or a worker) and then ends the way it is told.
// Usage: node --import tsx sampler-host.ts <main|worker> <exit|throw|wait|stop-after-ms=N>
// (stop-after-ms: unsubscribe N ms after the first event, then end by itself.)
// Prints `sampling` once the first event arrived, `events N` when asked to stop, `error: ...` if the stream fails.
import { probeByName } from '../src/registry.js';
import { inWorkerThread } from '../src/worker-probe.js';

const [where = 'main', end = 'wait'] = process.argv.slice(2);
const stopAfter = /^stop-after-ms=([0-9]+)$/.exec(end);
const probe = where === 'worker' ? inWorkerThread('nvidia-smi') : probeByName('nvidia-smi');
let events = 0;
const subscription = probe.samples({ intervalMs: 100 }).subscribe({
  next: () => {
    events += 1;
    if (events > 1) return;
    process.stdout.write('sampling\n');
    if (end === 'exit') process.exit(0);
    if (end === 'throw') {
      setImmediate(() => {
        throw new Error('sampler-host: uncaught on purpose');
      });
    }
    if (stopAfter) {
      setTimeout(() => {
        process.stdout.write(`events ${events}\n`);
        subscription.unsubscribe();
        clearInterval(keepAlive);
      }, Number(stopAfter[1]));
    }
  },
  error: (err: unknown) => {
    process.stdout.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  },
});
// Until it acts (or for 'wait', until a signal ends it), this process stays alive: the worker is unref'd.
const keepAlive = setInterval(() => {}, 60_000);
