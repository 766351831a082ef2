// `--tdp W` on eff probes / measure / run: the estimate's TDP is taken, shown and recorded; a bad value is exit 2.
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import type { ProbeRow } from '../measure/probes.js';
import { parseTdpW } from './tdp-option.js';

describe('--tdp', () => {
  it('parses watts > 0 and refuses anything else, saying what it expected', () => {
    expect(parseTdpW('35')).toBe(35);
    expect(parseTdpW('15.5')).toBe(15.5);
    for (const bad of ['0', '-5', 'abc', '', 'Infinity']) {
      expect(() => parseTdpW(bad)).toThrow(/expected the CPU's TDP in watts, a number > 0/);
    }
  });

  it('eff probes --tdp 35: the estimate row carries and shows the assumption', async () => {
    const json = await runEff(['probes', '--json', '--tdp', '35']);
    expect(json.code, json.stderr).toBe(0);
    const estimate = (JSON.parse(json.stdout) as ProbeRow[]).find((r) => r.name === 'estimate');
    expect(estimate?.estimate).toEqual({ tdpW: 35, ramWPerGB: 0.375, loadScope: 'machine' });
    const table = await runEff(['probes', '--tdp', '35']);
    expect(table.stdout).toMatch(
      /ESTIMATE \(load × TDP 35 W \(machine load; --tdp sets it\) \+ 0\.375 W\/GiB RAM\)/,
    );
  }, 120_000);

  it('eff measure --probe estimate --tdp 35: the result records it and the CPU power follows it', async () => {
    const r = await runEff([
      'measure',
      '--probe',
      'estimate',
      '--tdp',
      '35',
      '--json',
      '--',
      process.execPath,
      '-e',
      'setTimeout(() => {}, 400)',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      probes: Array<{ name: string; estimate?: unknown }>;
      averagePowerW: { cpu: number };
    };
    expect(out.probes[0]?.estimate).toEqual({ tdpW: 35, ramWPerGB: 0.375, loadScope: 'machine' });
    // CPU power is TDP × (0.1 + 0.9 × load): between 3.5 W and 35 W whatever the load.
    expect(out.averagePowerW.cpu).toBeGreaterThanOrEqual(3.5);
    expect(out.averagePowerW.cpu).toBeLessThanOrEqual(35);
  }, 120_000);

  it('a bad --tdp is a usage error (exit 2) before anything runs', async () => {
    const r = await runEff(['probes', '--tdp', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--tdp <W>' argument '0' is invalid/);
  }, 120_000);
});
