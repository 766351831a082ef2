// The HTTP endpoint behind --metrics-port: GET /metrics serves a LiveMetrics exposition until the command ends.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EffCliError } from '../errors.js';
import type { LiveMetrics } from './live-metrics.js';

/** The metrics port cannot be listened on (in use, not allowed, bad host). Exit code 2: nothing has run yet. */
export class MetricsPortError extends EffCliError {
  constructor(
    readonly host: string,
    readonly port: number,
    cause: string,
    code: 'E_METRICS_PORT_IN_USE' | 'E_METRICS_LISTEN',
  ) {
    super(
      code,
      code === 'E_METRICS_PORT_IN_USE'
        ? `--metrics-port ${port}: ${host}:${port} is already in use by another program; pick a free port (or stop the other program).`
        : `--metrics-port ${port}: cannot listen on ${host}:${port} (${cause}); check --metrics-host and the port (ports below 1024 need root).`,
      2,
    );
  }
}

export interface MetricsServerOptions {
  /** TCP port; 0 asks the OS for a free one (then read `port` from the result). */
  port: number;
  /** Interface to listen on. Default 127.0.0.1: the series name the machine's devices and runs, not for the world. */
  host?: string;
}

/** A listening metrics endpoint. close() stops it (and ends open scrape connections); idempotent. */
export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `metrics` at GET /metrics (Prometheus text exposition format 0.0.4, prom-client's content type), a short
 * pointer at /, 404 elsewhere. Resolves once listening; rejects with MetricsPortError (`E_METRICS_PORT_IN_USE`
 * naming the port, or `E_METRICS_LISTEN`) when the port cannot be had.
 */
export async function startMetricsServer(
  metrics: LiveMetrics,
  options: MetricsServerOptions,
): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.text().then(
        (body) => {
          res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`eff: could not collect metrics: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
      return;
    }
    res.writeHead(path === '/' ? 200 : 404, { 'Content-Type': 'text/plain' });
    res.end(path === '/' ? 'eff metrics: GET /metrics\n' : 'not found; eff serves /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new MetricsPortError(
          host,
          options.port,
          err.code ?? err.message,
          err.code === 'EADDRINUSE' ? 'E_METRICS_PORT_IN_USE' : 'E_METRICS_LISTEN',
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // A scraper's keep-alive connection must not hold the process open after the command ended.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | null = null;
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
