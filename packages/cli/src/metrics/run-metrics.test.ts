// `eff run --metrics-port` during a tiny grid: every scrape agrees with the records results.jsonl ends up holding.

import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunRecord } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { finished, runEff, spawnEff } from '../../test/spawn-cli.js';

const FAKE_BIN = fileURLToPath(new URL('../../test/fixtures/bin', import.meta.url));
const POWER_W = 150;

// Two LeNet-1 runs on 300 real MNIST images, read by a fake nvidia-smi at a constant power.
const TINY_GRID = `
name: metrics
datasets: [mnist]
architectures: [lenet]
sizes: [1]
criteria:
  - { name: fixedEpochs, params: { epochs: 2 } }
  - { name: fixedEpochs, params: { epochs: 3 } }
maxEpochs: 3
batchSize: 50
mnist: { trainSize: 300, testSize: 100 }
probes: [nvidia-smi]
intervalMs: 50
`;

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** One scrape: `name{labels}` → value. */
type Scrape = Map<string, number>;

function parse(body: string): Scrape {
  const m: Scrape = new Map();
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    m.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return m;
}

/** The run_id label of the eff_run_info series in a scrape, if a run is in progress. */
function runIdOf(s: Scrape): string | null {
  for (const key of s.keys()) {
    const id = /^eff_run_info\{run_id="([^"]+)"/.exec(key)?.[1];
    if (id) return id;
  }
  return null;
}

describe('eff run --metrics-port', () => {
  it('serves the run in progress, its epoch, accuracy, efficiency and joules as the records have them', {
    timeout: 300_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-run-metrics-'));
    const config = join(dir, 'grid.yaml');
    await writeFile(config, TINY_GRID);
    const out = join(dir, 'results');
    const port = await freePort();
    const eff = spawnEff(['run', '--config', config, '--out', out, '--metrics-port', String(port)], {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_NVSMI_POWER_W: String(POWER_W),
    });
    const done = finished(eff);
    let exited = false;
    void done.then(() => {
      exited = true;
    });
    // Scrape as often as this busy machine allows while eff runs (connection refused before it listens / after it ends).
    const scrapes: Scrape[] = [];
    while (!exited) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        scrapes.push(parse(await res.text()));
      } catch {
        // not listening (yet, or any more)
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const end = await done;
    expect(end.code, end.stderr).toBe(0);
    expect(end.stderr).toContain(`eff: metrics at http://127.0.0.1:${port}/metrics`);
    const records = (await readFile(join(out, 'results.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RunRecord);
    expect(records.map((r) => r.status)).toEqual(['completed', 'completed']);
    const byId = new Map(records.map((r, i) => [r.runId, { record: r, index: i }]));

    const during = scrapes.filter((s) => runIdOf(s) !== null);
    expect(during.length, `${scrapes.length} scrapes`).toBeGreaterThan(0);
    let epochsSeen = 0;
    for (const s of during) {
      const id = runIdOf(s) as string;
      const entry = byId.get(id);
      expect(entry, `run_id ${id} is one of the records`).toBeDefined();
      const { record, index } = entry!;
      const c = record.config;
      expect(
        s.get(
          `eff_run_info{run_id="${id}",architecture="${c.architecture}",size="${c.size}",criterion="${c.criterion.label ?? c.criterion.name}"}`,
        ),
      ).toBe(1);
      // Runs finished before this one, by outcome.
      expect(s.get('eff_runs_total{status="completed"}')).toBe(index);
      expect(s.get('eff_runs_total{status="failed"}')).toBe(0);
      const epoch = s.get('eff_epoch') as number;
      // The counter holds exactly the joules of the epochs recorded so far, this run's and the earlier runs'.
      const recordedJ =
        records
          .slice(0, index)
          .reduce((j, r) => j + r.epochs.reduce((k, e) => k + (e.energyJ.gpu ?? 0), 0), 0) +
        record.epochs.slice(0, epoch).reduce((j, e) => j + (e.energyJ.gpu ?? 0), 0);
      expect(s.get('eff_energy_joules_total{component="gpu"}') ?? 0).toBeCloseTo(recordedJ, 6);
      if (epoch === 0) continue;
      epochsSeen++;
      const e = record.epochs[epoch - 1]!;
      expect(s.get('eff_efficiency_accuracy_per_joule')).toBe(e.efficiency);
      expect(s.get('eff_accuracy{split="test"}')).toBe(e.testAccuracy);
      expect(s.get('eff_accuracy{split="train"}')).toBe(e.trainAccuracy);
      expect(s.get('eff_accuracy{split="validation"}')).toBe(e.validationAccuracy);
    }
    expect(epochsSeen, 'some scrape fell after an epoch').toBeGreaterThan(0);
    // The fake GPU's watts, while a run measured it.
    const watts = during
      .map((s) => s.get(`eff_power_watts{device="gpu0",component="gpu",probe="nvidia-smi"}`))
      .filter((w) => w !== undefined);
    expect(watts.length).toBeGreaterThan(0);
    expect(new Set(watts)).toEqual(new Set([POWER_W]));
  });

  it('a metrics port in use stops eff run before training, naming the port', {
    timeout: 120_000,
  }, async () => {
    const other = createServer();
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const port = (other.address() as { port: number }).port;
    try {
      const dir = await mkdtemp(join(tmpdir(), 'eff-run-metrics-busy-'));
      const config = join(dir, 'grid.yaml');
      await writeFile(config, TINY_GRID);
      const r = await runEff([
        'run',
        '--config',
        config,
        '--out',
        join(dir, 'results'),
        '--metrics-port',
        String(port),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `eff: --metrics-port ${port}: 127.0.0.1:${port} is already in use by another program; pick a free port (or stop the other program).\n`,
      );
      expect(r.stderr).not.toMatch(/run 1\/2 start/);
    } finally {
      other.close();
    }
  });
});
