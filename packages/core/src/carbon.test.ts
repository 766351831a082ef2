// Carbon from energy, intensity and PUE against values computed by hand; country averages from @tgwf/co2's Ember table.
import { averageIntensity } from '@tgwf/co2';
import { describe, expect, it } from 'vitest';
import {
  CarbonConfigSchema,
  CarbonInputError,
  carbonOf,
  countryIntensity,
  describeCarbon,
  formatCarbonGrams,
  givenIntensity,
  intensityFromConfig,
} from './carbon.js';

describe('carbonOf', () => {
  it('is kWh × g/kWh × PUE', () => {
    // 7.2 MJ = 2 kWh; × 400 g/kWh × 1.5 = 1200 g.
    const c = carbonOf(7.2e6, givenIntensity(400, 'cli'), 1.5);
    expect(c.gramsCO2e).toBeCloseTo(1200, 9);
    expect(c).toMatchObject({ intensityGPerKWh: 400, pue: 1.5, source: 'cli' });
    expect(describeCarbon(c)).toBe('1.20 kg CO2e (400 g/kWh × PUE 1.5; given with --carbon-intensity)');
  });

  it('defaults PUE to 1 and rejects a PUE below 1 and a negative energy', () => {
    // 36 kJ = 0.01 kWh × 250 g/kWh = 2.5 g.
    expect(carbonOf(36_000, givenIntensity(250, 'config')).gramsCO2e).toBeCloseTo(2.5, 12);
    expect(() => carbonOf(1, givenIntensity(250, 'cli'), 0.9)).toThrow(CarbonInputError);
    expect(() => carbonOf(1, givenIntensity(250, 'cli'), Number.POSITIVE_INFINITY)).toThrow(
      /PUE must be a finite/,
    );
    expect(() => carbonOf(-1, givenIntensity(250, 'cli'))).toThrow(/energy must be/);
    expect(() => givenIntensity(-5, 'cli')).toThrow(/≥ 0/);
  });
});

describe('countryIntensity', () => {
  it('takes the country’s Ember yearly average from @tgwf/co2 and cites it', () => {
    const deu = countryIntensity('deu');
    expect(deu.intensityGPerKWh).toBe(averageIntensity.data.DEU);
    expect(deu.intensityGPerKWh).toBeGreaterThan(100); // a coal-heavy grid, not a unit mix-up (kg/kWh would be < 1)
    expect(deu).toMatchObject({ source: 'country-average', zone: 'DEU' });
    expect(deu.sourceLabel).toMatch(/Ember yearly average for DEU.*@tgwf\/co2 0\.19\.0, CC BY-SA 4\.0/);
  });

  it('names what to give for an unknown code', () => {
    expect(() => countryIntensity('XXX')).toThrow(/ISO 3166-1 alpha-3 code such as DEU/);
  });
});

describe('intensityFromConfig', () => {
  it('prefers a fixed intensity, else the country, else none', () => {
    expect(intensityFromConfig({ intensityGPerKWh: 100, country: 'FRA' })?.intensityGPerKWh).toBe(100);
    expect(intensityFromConfig({ country: 'FRA' })?.intensityGPerKWh).toBe(averageIntensity.data.FRA);
    expect(intensityFromConfig({})).toBeNull();
  });
});

describe('a zone in the carbon block', () => {
  it('is kept by the schema and left to the CLI (live): a fixed intensity or a country still wins', () => {
    expect(CarbonConfigSchema.parse({ zone: 'DE' })).toEqual({ zone: 'DE', pue: 1 });
    expect(() => CarbonConfigSchema.parse({ zone: '' })).toThrow();
    expect(intensityFromConfig({ zone: 'DE' })).toBeNull();
    expect(intensityFromConfig({ zone: 'DE', country: 'FRA' })?.source).toBe('country-average');
    expect(intensityFromConfig({ zone: 'DE', intensityGPerKWh: 50 })?.intensityGPerKWh).toBe(50);
  });
});

describe('formatCarbonGrams', () => {
  it('three significant digits, kg from 1000 g', () => {
    expect(formatCarbonGrams(0.07)).toBe('0.0700 g CO2e');
    expect(formatCarbonGrams(999)).toBe('999 g CO2e');
    expect(formatCarbonGrams(1000)).toBe('1.00 kg CO2e');
    expect(formatCarbonGrams(12_345)).toBe('12.3 kg CO2e');
  });
});
