// @ts-nocheck
// The worker-thread side of `inWorkerThread`: builds the named probe here and posts its samples to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { ProbeError } from './errors.js';
import { probeByName } from './registry.js';

/** What the parent sends at start (workerData); everything in it is cloneable. */
export interface SamplerStart {
  name: string;
  factoryOptions: Record<string, unknown>;
  intervalMs?: number;
  maxConsecutiveBadLines?: number;
}

/** What this worker posts: samples and device events (`sample`), skipped lines, then at most one of error / complete. */
export type SamplerMessage =
  | { type: 'sample'; sample: unknown }
  | { type: 'bad'; report: unknown }
  | { type: 'error'; error: SerializedError }
  | { type: 'complete' };

/** An error as plain data: its class name, code, message and the extra fields the probe error classes carry. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  fields: Record<string, unknown>;
}

function serialize(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const key of ['input', 'exitCode', 'signal', 'lastWords'] as const) {
    const value = (err as unknown as Record<string, unknown>)[key];
    if (value !== undefined) fields[key] = value;
  }
  return {
    name: err.name,
    code: err instanceof ProbeError ? err.code : undefined,
    message: err.message,
    fields,
  };
}

const port = parentPort;
if (port !== null) {
  const start = workerData as SamplerStart;
  const post = (m: SamplerMessage) => port.postMessage(m);
  try {
    const subscription = probeByName(start.name, start.factoryOptions)
      .samples({
        ...(start.intervalMs !== undefined ? { intervalMs: start.intervalMs } : {}),
        ...(start.maxConsecutiveBadLines !== undefined
          ? { maxConsecutiveBadLines: start.maxConsecutiveBadLines }
          : {}),
        onBadLine: (report) => post({ type: 'bad', report }),
      })
      .subscribe({
        next: (sample) => post({ type: 'sample', sample }),
        error: (err) => post({ type: 'error', error: serialize(err) }),
        complete: () => post({ type: 'complete' }),
      });
    // 'stop': unsubscribe (which kills the probe's tool) and let this thread end.
    port.on('message', (m) => {
      if (m !== 'stop') return;
      subscription.unsubscribe();
      port.close();
    });
  } catch (err) {
    post({ type: 'error', error: serialize(err) });
    port.close();
  }
}
