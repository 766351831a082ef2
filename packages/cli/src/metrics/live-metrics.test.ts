// LiveMetrics and its HTTP endpoint, read as a scraper reads them: /metrics text, names, HELP/TYPE, labels, values.
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { EpochRecord } from '@eff/core';
import type { PowerSample } from '@eff/probes';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveMetrics, MetricsUsageError } from './live-metrics.js';
import { MetricsPortError, type MetricsServer, startMetricsServer } from './server.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(metrics: LiveMetrics): Promise<MetricsServer> {
  const server = await startMetricsServer(metrics, { port: 0 });
  servers.push(server);
  return server;
}

async function scrape(server: MetricsServer): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(server.url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** Sample lines (not comments) of the exposition, as `name{labels} value`. */
function samples(body: string): string[] {
  return body.split('\n').filter((l) => l && !l.startsWith('#'));
}

function power(tMs: number, powerW: number, deviceId = 'gpu0'): PowerSample {
  return { kind: 'power', tMs, deviceId, component: 'gpu', source: 'nvidia-smi', estimated: false, powerW };
}

function epoch(n: number, over: Partial<EpochRecord> = {}): EpochRecord {
  return {
    epoch: n,
    trainAccuracy: 0.5,
    validationAccuracy: 0.25,
    testAccuracy: 0.75,
    trainLoss: 1,
    validationLoss: 1.5,
    testLoss: null,
    durationMs: 1000,
    elapsedMs: 1000 * n,
    energyJ: { gpu: 30, cpu: 10, total: 40 },
    cumulativeEnergyJ: { gpu: 30 * n, cpu: 10 * n, total: 40 * n },
    efficiency: 0.75 / (40 * n),
    efficiencyAccuracy: 'test',
    ...over,
  };
}

describe('LiveMetrics over /metrics', () => {
  it('serves Prometheus text with HELP and TYPE for every series, in base units, on 127.0.0.1', async () => {
    let t = 1000;
    const metrics = new LiveMetrics({ kind: 'measure', now: () => t });
    const server = await serve(metrics);
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    metrics.observeSample(power(1000, 151.5));
    metrics.observeSample({ ...power(1000, 20), deviceId: 'package-0', component: 'cpu', source: 'rapl' });
    metrics.setEnergyJ({ gpu: 12.5, cpu: 3, total: 15.5 });
    t = 1100;
    const r = await scrape(server);
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toContain(
      '# HELP eff_power_watts Latest power reading of a device, in watts (an energy counter: its rate between the last two readings).\n# TYPE eff_power_watts gauge\n',
    );
    expect(r.body).toContain('# TYPE eff_energy_joules_total counter\n');
    expect(samples(r.body).sort()).toEqual(
      [
        'eff_energy_joules_total{component="cpu"} 3',
        'eff_energy_joules_total{component="gpu"} 12.5',
        'eff_power_watts{device="gpu0",component="gpu",probe="nvidia-smi"} 151.5',
        'eff_power_watts{device="package-0",component="cpu",probe="rapl"} 20',
      ].sort(),
    );
    // `eff measure` has no run, epoch or accuracy to show.
    expect(r.body).not.toMatch(/eff_run_info|eff_epoch|eff_accuracy|eff_runs_total|eff_efficiency/);
  });

  it('the energy counter only grows: a lower total later leaves it where it was', async () => {
    const metrics = new LiveMetrics({ kind: 'measure' });
    const server = await serve(metrics);
    metrics.setEnergyJ({ gpu: 100, total: 100 });
    metrics.setEnergyJ({ gpu: 99.999, total: 99.999 });
    expect(samples((await scrape(server)).body)).toEqual(['eff_energy_joules_total{component="gpu"} 100']);
    metrics.setEnergyJ({ gpu: 130, system: 0, total: 0 });
    // A measured component at 0 J shows as 0 (it exists), and `total` is never a component label.
    expect(samples((await scrape(server)).body).sort()).toEqual([
      'eff_energy_joules_total{component="gpu"} 130',
      'eff_energy_joules_total{component="system"} 0',
    ]);
  });

  it('pulls the energy from its source at every scrape', async () => {
    const metrics = new LiveMetrics({ kind: 'measure' });
    const server = await serve(metrics);
    let gpuJ: number | null = null;
    metrics.pullEnergyFrom(() => (gpuJ === null ? null : { gpu: gpuJ, total: gpuJ }));
    expect(samples((await scrape(server)).body)).toEqual([]);
    gpuJ = 42;
    expect(samples((await scrape(server)).body)).toEqual(['eff_energy_joules_total{component="gpu"} 42']);
    gpuJ = 84.25;
    expect(samples((await scrape(server)).body)).toEqual(['eff_energy_joules_total{component="gpu"} 84.25']);
  });

  it("an energy counter's device shows its rate; a device silent for staleAfterMs disappears", async () => {
    let t = 0;
    const metrics = new LiveMetrics({ kind: 'measure', staleAfterMs: 5000, now: () => t });
    const server = await serve(metrics);
    const counter = (tMs: number, energyJ: number): PowerSample => ({
      kind: 'energy',
      tMs,
      deviceId: 'intel-rapl:0',
      component: 'cpu',
      source: 'rapl',
      estimated: false,
      energyJ,
    });
    metrics.observeSample(counter(0, 1000));
    expect(samples((await scrape(server)).body)).toEqual([]);
    metrics.observeSample(counter(500, 1017.5));
    t = 600;
    expect(samples((await scrape(server)).body)).toEqual([
      'eff_power_watts{device="intel-rapl:0",component="cpu",probe="rapl"} 35',
    ]);
    // A wrap gives no rate: the last one stays until the next good step.
    metrics.observeSample(counter(1000, 3));
    metrics.observeSample(counter(2000, 43));
    t = 2100;
    expect(samples((await scrape(server)).body)).toEqual([
      'eff_power_watts{device="intel-rapl:0",component="cpu",probe="rapl"} 40',
    ]);
    t = 7001;
    expect(samples((await scrape(server)).body)).toEqual([]);
  });

  it('eff run: the run in progress, its epoch, accuracies, Eq. 2 efficiency, epoch joules and outcomes', async () => {
    const metrics = new LiveMetrics({ kind: 'run' });
    const server = await serve(metrics);
    const before = await scrape(server);
    // Outcomes exist at 0 from the start; no run is in progress yet.
    expect(samples(before.body).sort()).toEqual([
      'eff_efficiency_accuracy_per_joule 0',
      'eff_epoch 0',
      'eff_runs_total{status="completed"} 0',
      'eff_runs_total{status="diverged"} 0',
      'eff_runs_total{status="failed"} 0',
    ]);
    for (const [name, type] of [
      ['eff_run_info', 'gauge'],
      ['eff_epoch', 'gauge'],
      ['eff_accuracy', 'gauge'],
      ['eff_efficiency_accuracy_per_joule', 'gauge'],
      ['eff_runs_total', 'counter'],
    ]) {
      expect(before.body).toContain(`# TYPE ${name} ${type}\n`);
      expect(before.body).toMatch(new RegExp(`# HELP ${name} \\S`));
    }
    metrics.runStarted({
      runId: 'ab12cd34',
      architecture: 'lenet',
      size: 4,
      criterion: { name: 'earlyStopping', params: { patience: 3 }, label: 'early stopping (patience 3)' },
    });
    metrics.epochEnded(epoch(1));
    metrics.epochEnded(epoch(2, { validationAccuracy: null }));
    const during = samples((await scrape(server)).body).sort();
    expect(during).toEqual(
      [
        'eff_run_info{run_id="ab12cd34",architecture="lenet",size="4",criterion="early stopping (patience 3)"} 1',
        'eff_epoch 2',
        'eff_accuracy{split="train"} 0.5',
        'eff_accuracy{split="test"} 0.75',
        `eff_efficiency_accuracy_per_joule ${0.75 / 80}`,
        'eff_energy_joules_total{component="gpu"} 60',
        'eff_energy_joules_total{component="cpu"} 20',
        'eff_runs_total{status="completed"} 0',
        'eff_runs_total{status="diverged"} 0',
        'eff_runs_total{status="failed"} 0',
      ].sort(),
    );
    metrics.runEnded('completed');
    metrics.runStarted({
      runId: 'ef56',
      architecture: 'bcnn',
      size: 1,
      criterion: { name: 'fixedEpochs', params: { epochs: 2 } },
    });
    const next = samples((await scrape(server)).body);
    expect(next).toContain('eff_runs_total{status="completed"} 1');
    // The previous run's epoch and accuracies are gone; the label falls back to the criterion's name.
    expect(next).toContain('eff_epoch 0');
    expect(next.filter((l) => l.startsWith('eff_accuracy'))).toEqual([]);
    expect(next.filter((l) => l.startsWith('eff_run_info'))).toEqual([
      'eff_run_info{run_id="ef56",architecture="bcnn",size="1",criterion="fixedEpochs"} 1',
    ]);
    // The energy counter keeps counting across runs.
    expect(next).toContain('eff_energy_joules_total{component="gpu"} 60');
  });

  it('eff_energy_to_finish_joules exists only while a prediction does', async () => {
    const metrics = new LiveMetrics({ kind: 'run' });
    const server = await serve(metrics);
    expect((await scrape(server)).body).not.toContain('eff_energy_to_finish_joules');
    metrics.setEnergyToFinish(1234.5);
    const withPrediction = (await scrape(server)).body;
    expect(withPrediction).toContain('# TYPE eff_energy_to_finish_joules gauge\n');
    expect(samples(withPrediction)).toContain('eff_energy_to_finish_joules 1234.5');
    metrics.setEnergyToFinish(null);
    expect((await scrape(server)).body).not.toContain('eff_energy_to_finish_joules');
  });

  it('run series on measure metrics are a MetricsUsageError', () => {
    const metrics = new LiveMetrics({ kind: 'measure' });
    expect(() => metrics.runEnded('completed')).toThrow(MetricsUsageError);
    expect(() => metrics.epochEnded(epoch(1))).toThrow(/'run' metrics.*'measure' metrics/);
  });

  it('answers 404 off /metrics and 405 to a POST', async () => {
    const server = await serve(new LiveMetrics({ kind: 'measure' }));
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('startMetricsServer', () => {
  it('a port in use is E_METRICS_PORT_IN_USE naming host and port', async () => {
    const other = createServer();
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const port = (other.address() as { port: number }).port;
    try {
      const err = await startMetricsServer(new LiveMetrics({ kind: 'measure' }), { port }).catch((e) => e);
      expect(err).toBeInstanceOf(MetricsPortError);
      expect(err.code).toBe('E_METRICS_PORT_IN_USE');
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe(
        `--metrics-port ${port}: 127.0.0.1:${port} is already in use by another program; pick a free port (or stop the other program).`,
      );
    } finally {
      other.close();
    }
  });

  it('an address that is not this machine is E_METRICS_LISTEN', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a local interface.
    const err = await startMetricsServer(new LiveMetrics({ kind: 'measure' }), {
      port: 0,
      host: '192.0.2.1',
    }).catch((e) => e);
    expect(err).toBeInstanceOf(MetricsPortError);
    expect(err.code).toBe('E_METRICS_LISTEN');
    expect(err.message).toMatch(/cannot listen on 192\.0\.2\.1:0 \(EADDRNOTAVAIL\)/);
  });

  it('close() frees the port, even with a scraper keeping its connection open', async () => {
    const metrics = new LiveMetrics({ kind: 'measure' });
    const server = await startMetricsServer(metrics, { port: 0 });
    await fetch(server.url, { keepalive: true }).then((r) => r.text());
    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
    // The same port can be listened on again at once.
    const again = await startMetricsServer(metrics, { port: server.port });
    servers.push(again);
    expect(again.port).toBe(server.port);
  });
});
