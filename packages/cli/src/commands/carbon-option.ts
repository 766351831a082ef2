// The carbon options shared by eff measure, eff run and eff report: a grid intensity (given or a country's average) and a PUE.
import { countryIntensity, type GridIntensity, givenIntensity } from '@eff/core';
import { InvalidArgumentError, Option } from 'commander';

/** What the carbon options parse to (commander's camel-cased keys). */
export interface CarbonCliOptions {
  carbonIntensity?: number;
  carbonCountry?: string;
  pue?: number;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected g CO2e/kWh ≥ 0, got '${value}'.`);
  return n;
}

function pue(value: string): number {
  const n = Number(value);
  if (!(n >= 1))
    throw new InvalidArgumentError(`expected a PUE ≥ 1 (1: no facility overhead), got '${value}'.`);
  return n;
}

/** `--carbon-intensity`, `--carbon-country` and `--pue`, to add to a command. */
export function carbonOptions(): Option[] {
  return [
    new Option(
      '--carbon-intensity <g-per-kwh>',
      'grid intensity in g CO2e/kWh for the carbon figure',
    ).argParser(nonNegative),
    new Option(
      '--carbon-country <iso3>',
      "use this country's yearly average grid intensity (Ember, via @tgwf/co2), e.g. DEU",
    ).conflicts('carbonIntensity'),
    new Option('--pue <factor>', "the data centre's power usage effectiveness (≥ 1)")
      .argParser(pue)
      .default(1),
  ];
}

/**
 * The intensity the options name (a given one wins; else the country's average), with the PUE; null when neither
 * was given. Throws CarbonInputError (E_CARBON_INPUT) for an unknown country.
 */
export function carbonFromCli(opts: CarbonCliOptions): { intensity: GridIntensity; pue: number } | null {
  const pueValue = opts.pue ?? 1;
  if (opts.carbonIntensity !== undefined)
    return { intensity: givenIntensity(opts.carbonIntensity, 'cli'), pue: pueValue };
  if (opts.carbonCountry !== undefined)
    return { intensity: countryIntensity(opts.carbonCountry), pue: pueValue };
  return null;
}
