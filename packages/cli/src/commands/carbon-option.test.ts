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

describe('--carbon-country', () => {
  it('an unknown or 2-letter code is a usage error (exit 2) naming the option; lowercase is accepted', async () => {
    const bad = await runEff(['measure', '--carbon-country', 'DE', '--', process.execPath, '-e', '']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('eff: --carbon-country: no yearly average grid intensity for "DE"');
    const lower = await runEff(['measure', '--carbon-country', 'deu', '--', process.execPath, '-e', '']);
    expect(lower.code, lower.stderr).toBe(0);
    expect(lower.stdout + lower.stderr).toMatch(/Ember yearly average for DEU/);
  }, 120_000);
});
