// `eff run` records final.carbon from the grid config's carbon block, and --carbon-intensity wins over it.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunRecordSchema } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';

const GRID = `
name: carbon
datasets: [mnist]
architectures: [lenet]
sizes: [1]
criteria:
  - { name: fixedEpochs, params: { epochs: 1 } }
maxEpochs: 1
batchSize: 100
mnist: { trainSize: 200, testSize: 100 }
intervalMs: 50
probes: [estimate]
warmUp: false
carbon: { intensityGPerKWh: 400, pue: 1.2 }
`;

describe('eff run with carbon', () => {
  it('stores grams = kWh × intensity × PUE with the source; an unknown country fails before training', {
    timeout: 400_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-carbon-'));
    const config = join(dir, 'grid.yaml');
    await writeFile(config, GRID);
    const out = join(dir, 'results');
    const run = await runEff(['run', '--config', config, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const [record] = (await readFile(join(out, 'results.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => RunRecordSchema.parse(JSON.parse(l)));
    const carbon = record?.final.carbon;
    expect(carbon).toMatchObject({ intensityGPerKWh: 400, pue: 1.2, source: 'config' });
    expect(record?.final.energyJ.total).toBeGreaterThan(0);
    expect(carbon?.gramsCO2e).toBeCloseTo(((record?.final.energyJ.total ?? 0) / 3.6e6) * 400 * 1.2, 12);
    // The progress line of the epoch and the run's line carry the grams too.
    expect(run.stderr).toMatch(/epoch 1\/1: acc [\d.]+%, energy [\d.]+ k?J, [\d.]+ g CO2e, /);
    expect(run.stderr).toMatch(/run done: .* acc\/kJ, [\d.]+ g CO2e, stopped by/);

    // The estimate's ±50 % (uncertainty.ts): the low end is exactly half the energy, each device's part recorded.
    expect(record?.final.energyBoundJ?.lowJ).toBeCloseTo((record?.final.energyJ.total ?? 0) * 0.5, 9);
    const parts = record?.final.energyBoundJ?.devices ?? [];
    expect(parts.map((d) => [d.probe, d.method])).toContainEqual(['estimate', 'estimate']);
    expect(parts.reduce((s, d) => s + d.belowJ, 0)).toBeCloseTo((record?.final.energyJ.total ?? 0) * 0.5, 9);
    expect(record?.final.energyBoundJ?.highJ).toBeGreaterThanOrEqual(
      (record?.final.energyJ.total ?? 0) * 1.5 - 1e-9,
    );

    const bad = await runEff([
      'run',
      '--config',
      config,
      '--out',
      join(dir, 'bad'),
      '--carbon-country',
      'XXX',
    ]);
    // a bad option value: usage error, exit 2 (docs/cli.md#exit-codes)
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--carbon-country: no yearly average grid intensity for "XXX"');
    expect(bad.stderr).not.toMatch(/run 1\/1 start/);
  });

  it('a config naming an Electricity Maps zone gets its live intensity (local server on 127.0.0.1)', {
    timeout: 400_000,
  }, async () => {
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(`${req.url} ${req.headers['auth-token']}`);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ zone: 'DE', carbonIntensity: 302, datetime: '2026-11-30T13:00:00.000Z' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const dir = await mkdtemp(join(tmpdir(), 'eff-carbon-zone-'));
      const config = join(dir, 'grid.yaml');
      await writeFile(
        config,
        GRID.replace('carbon: { intensityGPerKWh: 400, pue: 1.2 }', 'carbon: { zone: DE }'),
      );
      const out = join(dir, 'results');
      const run = await runEff(['run', '--config', config, '--out', out], {
        ELECTRICITYMAPS_TOKEN: 'zone-token',
        EFF_CARBON_API_URL: url,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(asked).toEqual(['/v3/carbon-intensity/latest?zone=DE zone-token']);
      const record = RunRecordSchema.parse(
        JSON.parse((await readFile(join(out, 'results.jsonl'), 'utf8')).trim()),
      );
      expect(record.final.carbon).toMatchObject({
        intensityGPerKWh: 302,
        pue: 1,
        source: 'api',
        zone: 'DE',
        year: 2026,
      });
      expect(record.final.carbon?.gramsCO2e).toBeCloseTo((record.final.energyJ.total / 3.6e6) * 302, 12);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
