// --pue on the command line: an infinite PUE is a usage error (it used to print "carbon: Infinity kg CO2e", exit 0).
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';

describe('--pue', () => {
  it('eff measure --pue Infinity exits 2 naming what it expected; --pue 1.5 is applied to the carbon line', async () => {
    const bad = await runEff([
      'measure',
      '--pue',
      'Infinity',
      '--carbon-intensity',
      '300',
      '--',
      process.execPath,
      '-e',
      '',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("expected a finite PUE ≥ 1 (1: no facility overhead), got 'Infinity'.");
    const good = await runEff([
      'measure',
      '--pue',
      '1.5',
      '--carbon-intensity',
      '300',
      '--',
      process.execPath,
      '-e',
      '',
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout + good.stderr).toMatch(
      /carbon: .* CO2e \(300 g\/kWh × PUE 1\.5; given with --carbon-intensity\)/,
    );
  }, 120_000);
});
