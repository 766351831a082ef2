// Runs a probe in a worker thread, so its samples are taken on schedule while training blocks the main thread.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Observable } from 'rxjs';
import {
  ProbeError,
  ProbeExitedError,
  ProbeParseError,
  ProbePermissionError,
  ProbeStalledError,
  ProbeUnavailableError,
} from './errors.js';
import { checkProbe, type ProbeFactoryOptions, probeByName } from './registry.js';
import type { Probe, ProbeEvent, ProbeOptions } from './sample.js';
import type { SamplerMessage, SamplerStart, SerializedError } from './sampler-worker.js';
import type { BadLineReport } from './tolerance.js';

/**
 * Starts the worker's script beside this file: dist/sampler-worker.js, or, when eff runs from its TypeScript
 * sources (its own tests), sampler-worker.ts through tsx's loader, registered inside the new thread.
 */
function startWorker(workerData: SamplerStart): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(fileURLToPath(new URL('./sampler-worker.js', import.meta.url)), { workerData });
  }
  const source = new URL('./sampler-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** Rebuilds a probe error posted by the worker as its own class, code and fields. */
function revive(e: SerializedError): Error {
  const f = e.fields;
  switch (e.name) {
    case 'ProbeParseError':
      return new ProbeParseError(e.message, String(f.input ?? ''));
    case 'ProbeExitedError':
      return new ProbeExitedError(
        e.message,
        (f.exitCode as number | null | undefined) ?? null,
        (f.signal as string | null | undefined) ?? null,
        f.lastWords === undefined ? {} : { lastWords: String(f.lastWords) },
      );
    case 'ProbeStalledError':
      return new ProbeStalledError(e.message);
    case 'ProbePermissionError':
      return new ProbePermissionError(e.message);
    case 'ProbeUnavailableError':
      return new ProbeUnavailableError(e.message);
    default:
      return e.code === undefined ? new Error(e.message) : new ProbeError(e.code, e.message);
  }
}

/**
 * The probe registered as `name`, sampling in a worker thread: the same name, components, minIntervalMs, check(),
 * samples and DeviceEvents (structured-cloned, so unchanged), but each reading is taken and time-stamped on the worker's schedule, so a training step that holds the main
 * thread for a whole batch delays when samples arrive, not when they were taken. `factoryOptions` must be
 * cloneable (no callbacks). Unsubscribing stops the probe in the worker (killing its tool) and ends the thread.
 */
export function inWorkerThread<N extends string>(name: N, factoryOptions?: ProbeFactoryOptions<N>): Probe;
export function inWorkerThread(name: string, factoryOptions: Record<string, unknown> = {}): Probe {
  const local = probeByName(name, factoryOptions);
  return {
    name: local.name,
    components: local.components,
    estimated: local.estimated,
    ...(local.estimate !== undefined ? { estimate: local.estimate } : {}),
    ...(local.minIntervalMs !== undefined ? { minIntervalMs: local.minIntervalMs } : {}),
    // Cached per process (checkProbe): the same probe asked for by every session of a script is checked once.
    check: () => checkProbe(name, factoryOptions),
    samples: (options: ProbeOptions = {}) =>
      new Observable<ProbeEvent>((subscriber) => {
        const start: SamplerStart = {
          name,
          factoryOptions,
          ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
          ...(options.maxConsecutiveBadLines !== undefined
            ? { maxConsecutiveBadLines: options.maxConsecutiveBadLines }
            : {}),
        };
        const worker = startWorker(start);
        let ended = false;
        worker.on('message', (m: SamplerMessage) => {
          if (m.type === 'sample') subscriber.next(m.sample as ProbeEvent);
          else if (m.type === 'bad') options.onBadLine?.(m.report as BadLineReport);
          else if (m.type === 'error') {
            ended = true;
            subscriber.error(revive(m.error));
          } else {
            ended = true;
            subscriber.complete();
          }
        });
        worker.on('error', (err) => {
          ended = true;
          subscriber.error(
            new ProbeError('E_PROBE_WORKER', `the worker thread sampling '${name}' failed: ${err.message}`, {
              cause: err,
            }),
          );
        });
        worker.on('exit', (code) => {
          if (ended || subscriber.closed) return;
          subscriber.error(
            new ProbeError(
              'E_PROBE_WORKER',
              `the worker thread sampling '${name}' exited (code ${code}) early`,
            ),
          );
        });
        // A sampler must never keep a finished script alive. After the listeners: adding a 'message' listener refs
        // the worker's port again (Node 20), so an unref() before it is undone and the process never exits.
        worker.unref();
        return () => {
          ended = true;
          worker.postMessage('stop');
          // The worker ends itself once the probe has let go of its tool; a probe that keeps a handle open must
          // not leave a thread behind for every run of a grid.
          const timer = setTimeout(() => void worker.terminate(), 2000);
          timer.unref();
          worker.once('exit', () => clearTimeout(timer));
        };
      }),
  };
}
