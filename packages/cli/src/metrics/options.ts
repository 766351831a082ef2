// --metrics-port / --metrics-host for `eff run` and `eff measure`, and the endpoint's life around a command.
import { InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../io.js';
import { LiveMetrics, type LiveMetricsKind } from './live-metrics.js';
import { startMetricsServer } from './server.js';

/** The metrics options as commander parses them (both absent: no endpoint). */
export interface MetricsCliOptions {
  metricsPort?: number;
  metricsHost?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`expected a TCP port 0-65535 (0: any free port), got '${value}'.`);
  return n;
}

/** `--metrics-port <port>`: serve Prometheus metrics at http://host:port/metrics while the command runs. */
export function metricsPortOption(): Option {
  return new Option(
    '--metrics-port <port>',
    'serve Prometheus metrics (power, energy, run progress) at http://HOST:PORT/metrics while this runs (docs/metrics.md)',
  ).argParser(port);
}

/** `--metrics-host <host>`: the interface of the metrics endpoint; default 127.0.0.1 (this machine only). */
export function metricsHostOption(): Option {
  return new Option(
    '--metrics-host <host>',
    'interface for --metrics-port (0.0.0.0: every interface, so other machines can scrape)',
  ).default('127.0.0.1');
}

/**
 * Runs `body` with a LiveMetrics of `kind` served on the asked port, or with null when no --metrics-port was given.
 * The endpoint is listening before `body` starts (a port in use fails the command before anything runs:
 * MetricsPortError) and is closed when `body` settles, whichever way.
 */
export async function withLiveMetrics<T>(
  io: CliIo,
  kind: LiveMetricsKind,
  options: MetricsCliOptions,
  body: (metrics: LiveMetrics | null) => Promise<T>,
): Promise<T> {
  if (options.metricsPort === undefined) return body(null);
  const metrics = new LiveMetrics({ kind });
  const server = await startMetricsServer(metrics, {
    port: options.metricsPort,
    host: options.metricsHost ?? '127.0.0.1',
  });
  io.stderr.write(`eff: metrics at ${server.url}\n`);
  try {
    return await body(metrics);
  } finally {
    await server.close();
  }
}
