// carbon.ts's edges pinned exactly (written against Stryker's survivors): the error's code and name, zero energy and
// zero intensity, who gave an intensity, the g/kg switch of the formatter.
import { describe, expect, it } from 'vitest';
import {
  CarbonInputError,
  carbonOf,
  formatCarbonGrams,
  givenIntensity,
  intensityFromConfig,
} from './carbon.js';

/** The CarbonInputError `f` throws (fails the test when it throws nothing or something else). */
function carbonError(f: () => unknown): CarbonInputError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CarbonInputError);
    return err as CarbonInputError;
  }
  throw new Error('expected a CarbonInputError, nothing was thrown');
}

describe('CarbonInputError', () => {
  it('carries its code, its name and the offending value', () => {
    const err = carbonError(() => givenIntensity(-1, 'cli'));
    expect(err.code).toBe('E_CARBON_INPUT');
    expect(err.name).toBe('CarbonInputError');
    expect(err.value).toBe(-1);
  });
});

describe('givenIntensity', () => {
  it('accepts 0 g/kWh (a fully renewable supply), and rejects below 0', () => {
    expect(givenIntensity(0, 'cli').intensityGPerKWh).toBe(0);
    carbonError(() => givenIntensity(-0.001, 'config'));
  });

  it('labels who gave it', () => {
    expect(givenIntensity(300, 'cli')).toEqual({
      intensityGPerKWh: 300,
      source: 'cli',
      sourceLabel: 'given with --carbon-intensity',
    });
    expect(givenIntensity(300, 'config')).toEqual({
      intensityGPerKWh: 300,
      source: 'config',
      sourceLabel: 'given in the config (carbon.intensityGPerKWh)',
    });
  });
});

describe('intensityFromConfig', () => {
  it('says `config` by default and `cli` when told', () => {
    expect(intensityFromConfig({ intensityGPerKWh: 250 })?.source).toBe('config');
    expect(intensityFromConfig({ intensityGPerKWh: 250 }, 'cli')?.source).toBe('cli');
  });

  it('is null for a zone alone (live, fetched by the CLI)', () => {
    expect(intensityFromConfig({ zone: 'DE' })).toBeNull();
  });
});

describe('carbonOf', () => {
  it('gives 0 g for 0 J (not an error)', () => {
    expect(carbonOf(0, givenIntensity(400, 'cli')).gramsCO2e).toBe(0);
  });

  it('rejects negative energy', () => {
    expect(carbonError(() => carbonOf(-1, givenIntensity(400, 'cli'))).value).toBe(-1);
  });

  it('multiplies kWh, intensity and PUE', () => {
    // 7.2e6 J = 2 kWh; 2 kWh × 500 g/kWh × PUE 1.25 = 1250 g.
    expect(carbonOf(7.2e6, givenIntensity(500, 'config'), 1.25).gramsCO2e).toBeCloseTo(1250, 9);
  });
});

describe('formatCarbonGrams', () => {
  it('switches to kg at exactly 1000 g, stays in g below', () => {
    // 1000 g = 1.00 kg; 999.4 g → three significant digits "999"; 1250 g = 1.25 kg; 12.3 g stays in g.
    expect(formatCarbonGrams(1000)).toBe('1.00 kg CO2e');
    expect(formatCarbonGrams(999.4)).toBe('999 g CO2e');
    expect(formatCarbonGrams(1250)).toBe('1.25 kg CO2e');
    expect(formatCarbonGrams(12.3)).toBe('12.3 g CO2e');
  });
});
