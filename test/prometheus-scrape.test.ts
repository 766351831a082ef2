// Must show (issue 15): a real Prometheus scrapes `eff measure --metrics-port` and its query API returns the fake GPU's watts and joules.
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { finished, spawnEff } from '../packages/cli/test/spawn-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPTS = join(ROOT, 'scripts/prometheus');
const FAKE_BIN = join(ROOT, 'packages/cli/test/fixtures/bin');
const POWER_W = 150;
const COMMAND_S = 6;

// Installs Debian's prometheus when it is missing (root + apt-get); skipped below only when that is impossible.
const install = spawnSync('bash', [join(SCRIPTS, 'install')], { encoding: 'utf8', timeout: 600_000 });
const skipReason =
  install.status === 0
    ? null
    : `prometheus is not installed and scripts/prometheus/install could not install it: ${install.stderr.trim() || `exit ${install.status}`}`;
if (skipReason) console.warn(`SKIPPED prometheus-scrape.test.ts: ${skipReason}`);

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

interface PromVector {
  status: string;
  data: {
    resultType: string;
    result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }>;
  };
}

function alive(pid: number): boolean {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return state !== '' && !state.startsWith('Z');
  } catch {
    return false; // ps exits 1 when there is no such process
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) {
    spawnSync('bash', [join(SCRIPTS, 'down'), d]);
    await rm(d, { recursive: true, force: true });
  }
});

describe.skipIf(skipReason !== null)('Prometheus scrapes eff measure --metrics-port', () => {
  it(`reads a fake GPU at ${POWER_W} W back through the query API: power gauge, and joules growing at ${POWER_W} J/s`, {
    timeout: 300_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-prometheus-'));
    dirs.push(dir);
    const effPort = await freePort();
    // A real server on a free 127.0.0.1 port, scraping eff every second, TSDB in the temp dir.
    const up = spawnSync('bash', [join(SCRIPTS, 'up'), dir, `127.0.0.1:${effPort}`, '1s'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(up.status, up.stderr).toBe(0);
    const promUrl = up.stdout.trim();
    expect(promUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const promPid = Number(await readFile(join(dir, 'prometheus.pid'), 'utf8'));
    expect(await readFile(join(dir, 'prometheus.yml'), 'utf8')).toContain(
      `targets: ['127.0.0.1:${effPort}']`,
    );

    const pidFile = join(dir, 'nvidia-smi.pids');
    const eff = spawnEff(
      [
        'measure',
        '--metrics-port',
        String(effPort),
        '--probe',
        'nvidia-smi',
        '--interval',
        '100',
        '--json',
        '--',
        join(FAKE_BIN, 'sleep-exit'),
        String(COMMAND_S),
        '0',
      ],
      {
        PATH: `${FAKE_BIN}:${process.env.PATH}`,
        FAKE_NVSMI_POWER_W: String(POWER_W),
        FAKE_NVSMI_PIDFILE: pidFile,
      },
    );
    const done = await finished(eff);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`eff: metrics at http://127.0.0.1:${effPort}/metrics`);
    const result = JSON.parse(done.stdout) as {
      energyJ: { gpu: number };
      startedAt: string;
      durationMs: number;
    };
    // eff's own record of the command: the fake's watts over its duration.
    expect(result.energyJ.gpu).toBeCloseTo((POWER_W * result.durationMs) / 1000, -1);

    const query = async (q: string, timeS?: number): Promise<PromVector> => {
      const url = `${promUrl}/api/v1/query?query=${encodeURIComponent(q)}${timeS === undefined ? '' : `&time=${timeS}`}`;
      const res = await fetch(url);
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as PromVector;
    };

    // Every scrape Prometheus stored while eff ran (eff has exited: an instant query now sees stale series).
    const energyRange = await query('eff_energy_joules_total{component="gpu"}[10m]');
    expect(energyRange.status).toBe('success');
    expect(energyRange.data.result).toHaveLength(1);
    expect(energyRange.data.result[0]?.metric).toMatchObject({
      __name__: 'eff_energy_joules_total',
      component: 'gpu',
      job: 'eff',
      instance: `127.0.0.1:${effPort}`,
    });
    // Scrapes before the first readings show 0 J; the command's joules start after them.
    const energy = (energyRange.data.result[0]?.values ?? [])
      .map(([t, v]) => [t, Number(v)] as const)
      .filter(([, j]) => j > 0);
    expect(energy.length, JSON.stringify(energyRange.data)).toBeGreaterThanOrEqual(3);
    const [tFirst, jFirst] = energy[0]!;
    const [tLast, jLast] = energy[energy.length - 1]!;
    // Each scraped value is the meter's integration up to the instant the GPU's samples reached, which trails the
    // scrape by at most an interval plus scheduling delay on this busy machine: over a span of >= 2 s that is
    // within 15 % of the rate. Energy ≈ power × time.
    expect(tLast - tFirst).toBeGreaterThanOrEqual(2);
    const rateW = (jLast - jFirst) / (tLast - tFirst);
    expect(rateW).toBeGreaterThan(POWER_W * 0.85);
    expect(rateW).toBeLessThan(POWER_W * 1.15);
    // And in absolute terms: joules since the command started, to within 1 s of the fake's power.
    const sinceStartS = tLast - Date.parse(result.startedAt) / 1000;
    expect(Math.abs(jLast - POWER_W * sinceStartS)).toBeLessThan(POWER_W * 1);
    // Never more than eff finally recorded for the whole command.
    expect(jLast).toBeLessThanOrEqual(result.energyJ.gpu + 1e-6);

    // The query the issue names, at the instant of the last scrape: the same value.
    const instant = await query('eff_energy_joules_total{component="gpu"}', tLast);
    expect(instant.data.resultType).toBe('vector');
    expect(Number(instant.data.result[0]?.value?.[1])).toBe(jLast);

    // The power gauge: the fake's watts, labelled with the device and the probe that read it.
    const powerRange = await query('eff_power_watts[10m]');
    expect(powerRange.data.result).toHaveLength(1);
    expect(powerRange.data.result[0]?.metric).toMatchObject({
      device: 'gpu0',
      component: 'gpu',
      probe: 'nvidia-smi',
    });
    const watts = (powerRange.data.result[0]?.values ?? []).map(([, v]) => Number(v));
    expect(watts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(watts)).toEqual(new Set([POWER_W]));

    // Nothing left running: eff's metrics port is free, the fake tool is gone, Prometheus stops by its pid.
    const reuse = createServer();
    reuse.listen(effPort, '127.0.0.1');
    await once(reuse, 'listening');
    await new Promise((r) => reuse.close(r));
    const toolPids = (await readFile(pidFile, 'utf8')).split('\n').filter(Boolean).map(Number);
    expect(toolPids.length).toBeGreaterThan(0);
    expect(toolPids.filter(alive)).toEqual([]);
    expect(alive(promPid)).toBe(true);
    const down = spawnSync('bash', [join(SCRIPTS, 'down'), dir], { encoding: 'utf8', timeout: 60_000 });
    expect(down.status, down.stderr).toBe(0);
    expect(alive(promPid)).toBe(false);
    expect(existsSync(join(dir, 'prometheus.pid'))).toBe(false);
  });
});
