// carbon.ts at its boundaries and in its exact texts: PUE 1 and energy 0 allowed, NaN and infinities refused, g vs kg
// at 1000 g, the sources' labels (written before this file's first Stryker run, for what carbon.test.ts leaves open).
import { averageIntensity } from '@tgwf/co2';
import { describe, expect, it } from 'vitest';
import {
  CarbonInputError,
  carbonOf,
  countryIntensity,
  describeCarbon,
  givenIntensity,
  intensityFromConfig,
} from './carbon.js';

function thrown(f: () => unknown): CarbonInputError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CarbonInputError);
    return err as CarbonInputError;
  }
  throw new Error('expected a CarbonInputError');
}

const KWH_J = 3.6e6;

describe('carbon boundaries and texts (mutation tests)', () => {
  it('PUE exactly 1 and energy exactly 0 are allowed; an intensity of 0 too', () => {
    expect(carbonOf(KWH_J, givenIntensity(500, 'config'), 1).gramsCO2e).toBe(500);
    expect(carbonOf(0, givenIntensity(500, 'config'), 1).gramsCO2e).toBe(0);
    expect(carbonOf(KWH_J, givenIntensity(0, 'cli')).gramsCO2e).toBe(0);
  });

  it('refusals: the class, the code, the value and the text', () => {
    const pue = thrown(() => carbonOf(1, givenIntensity(250, 'cli'), 0.5));
    expect([pue.name, pue.code, pue.value, pue.message]).toEqual([
      'CarbonInputError',
      'E_CARBON_INPUT',
      0.5,
      'PUE must be a finite number ≥ 1 (1: no facility overhead), got 0.5',
    ]);
    expect(thrown(() => carbonOf(1, givenIntensity(250, 'cli'), Number.NaN)).value).toBeNaN();
    const energy = thrown(() => carbonOf(Number.POSITIVE_INFINITY, givenIntensity(250, 'cli')));
    expect([energy.value, energy.message]).toEqual([
      Number.POSITIVE_INFINITY,
      'energy must be a number of J ≥ 0, got Infinity',
    ]);
    expect(thrown(() => carbonOf(-1, givenIntensity(250, 'cli'))).value).toBe(-1);
    const intensity = thrown(() => givenIntensity(Number.POSITIVE_INFINITY, 'cli'));
    expect([intensity.value, intensity.message]).toEqual([
      Number.POSITIVE_INFINITY,
      'carbon intensity must be a number of g CO2e/kWh ≥ 0, got Infinity',
    ]);
    expect(thrown(() => givenIntensity(-0.5, 'config')).value).toBe(-0.5);
    const country = thrown(() => countryIntensity('xq'));
    expect([country.value, country.message]).toEqual([
      'xq',
      'no yearly average grid intensity for "xq"; give an ISO 3166-1 alpha-3 code such as DEU, FRA, USA (or WORLD), or --carbon-intensity G_PER_KWH',
    ]);
  });

  it('describeCarbon: grams below 1000, kilograms from exactly 1000, the year when known', () => {
    // 1 kWh × 999 g/kWh = 999 g; × 1000 g/kWh = 1000 g = 1.00 kg
    expect(describeCarbon(carbonOf(KWH_J, givenIntensity(999, 'config')))).toBe(
      '999 g CO2e (999 g/kWh × PUE 1; given in the config (carbon.intensityGPerKWh))',
    );
    expect(describeCarbon(carbonOf(KWH_J, givenIntensity(1000, 'cli')))).toBe(
      '1.00 kg CO2e (1000 g/kWh × PUE 1; given with --carbon-intensity)',
    );
    const withYear = { ...carbonOf(KWH_J / 2, givenIntensity(30, 'cli'), 1.25), year: 2024 };
    // 0.5 kWh × 30 g/kWh × 1.25 = 18.75 g
    expect(describeCarbon(withYear)).toBe(
      '18.8 g CO2e (30 g/kWh × PUE 1.25; given with --carbon-intensity, 2024)',
    );
  });

  it("a country's average carries its zone and the full citation; a config's intensity names who gave it", () => {
    expect(countryIntensity('fra')).toEqual({
      intensityGPerKWh: averageIntensity.data.FRA,
      source: 'country-average',
      sourceLabel:
        'Ember yearly average for FRA (latest year Ember published before the 0.19.0 release), via @tgwf/co2 0.19.0, CC BY-SA 4.0',
      zone: 'FRA',
    });
    expect(intensityFromConfig({ intensityGPerKWh: 120 }, 'cli')).toEqual({
      intensityGPerKWh: 120,
      source: 'cli',
      sourceLabel: 'given with --carbon-intensity',
    });
    expect(intensityFromConfig({ intensityGPerKWh: 120 })).toEqual({
      intensityGPerKWh: 120,
      source: 'config',
      sourceLabel: 'given in the config (carbon.intensityGPerKWh)',
    });
  });
});
