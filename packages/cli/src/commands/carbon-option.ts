// The carbon options shared by eff measure, eff run and eff report: a grid intensity (given or a country's average) and a PUE.
import { CarbonInputError, countryIntensity, type GridIntensity, givenIntensity } from '@eff/core';
import { InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { CarbonApiError, fetchLiveIntensity } from './live-intensity.js';

/** What the carbon options parse to (commander's camel-cased keys). */
export interface CarbonCliOptions {
  carbonIntensity?: number;
  carbonCountry?: string;
  /** Electricity Maps zone for a live intensity (token in ELECTRICITYMAPS_TOKEN). */
  carbonZone?: string;
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
  if (!(n >= 1) || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a finite PUE ≥ 1 (1: no facility overhead), got '${value}'.`);
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
    new Option(
      '--carbon-zone <zone>',
      'live intensity of this Electricity Maps zone (e.g. DE; needs ELECTRICITYMAPS_TOKEN; EFF_CARBON_API_URL overrides the API URL)',
    ).conflicts(['carbonIntensity', 'carbonCountry']),
    new Option('--pue <factor>', "the data centre's power usage effectiveness (≥ 1)")
      .argParser(pue)
      .default(1),
  ];
}

/**
 * The intensity the options name (a given one wins; else the country's average; else the zone's live intensity), with
 * the PUE; null when none was given. Throws UsageError (exit 2) for an unknown country, CarbonApiError
 * (E_CARBON_API) when the live intensity cannot be had (no ELECTRICITYMAPS_TOKEN in `env`, an HTTP error).
 */
export async function carbonFromCli(
  opts: CarbonCliOptions,
  env: Record<string, string | undefined> = {},
): Promise<{ intensity: GridIntensity; pue: number } | null> {
  const pueValue = opts.pue ?? 1;
  if (opts.carbonZone !== undefined) {
    const token = env.ELECTRICITYMAPS_TOKEN;
    if (!token)
      throw new CarbonApiError(
        '--carbon-zone needs an Electricity Maps API token in ELECTRICITYMAPS_TOKEN; or give --carbon-intensity G_PER_KWH or --carbon-country ISO3.',
      );
    const intensity = await fetchLiveIntensity({
      zone: opts.carbonZone,
      token,
      ...(env.EFF_CARBON_API_URL ? { baseUrl: env.EFF_CARBON_API_URL } : {}),
    });
    return { intensity, pue: pueValue };
  }
  if (opts.carbonIntensity !== undefined)
    return { intensity: givenIntensity(opts.carbonIntensity, 'cli'), pue: pueValue };
  if (opts.carbonCountry !== undefined) {
    try {
      return { intensity: countryIntensity(opts.carbonCountry), pue: pueValue };
    } catch (err) {
      // a bad option value is a usage error (exit 2, docs/cli.md), not a failed run (exit 1)
      if (err instanceof CarbonInputError) throw new UsageError(`--carbon-country: ${err.message}`);
      throw err;
    }
  }
  return null;
}
