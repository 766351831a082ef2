// Carbon of a run: grams CO2e from its energy, a grid intensity (given, a country's yearly average, or live) and a PUE.
import { averageIntensity } from '@tgwf/co2';
import { z } from 'zod';
import type { Carbon } from './schema.js';

/** The version of @tgwf/co2 whose Ember averages are shipped (cited next to every country average). */
export const TGWF_CO2_VERSION = '0.19.0';
/**
 * @tgwf/co2 does not export the year of each average: its Ember table holds the latest full year Ember had published
 * for each country when the package was released (0.19.0, 2026; Ember's yearly data then ran to 2024 for most
 * countries). Cited as such rather than guessed per country.
 */
const COUNTRY_AVERAGE_YEAR_NOTE = 'latest year Ember published before the 0.19.0 release';

/** Bad carbon settings: an unknown country code, a negative intensity, a PUE below 1. */
export class CarbonInputError extends Error {
  readonly code = 'E_CARBON_INPUT';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'CarbonInputError';
  }
}

/**
 * The `carbon` block of a config: a fixed intensity in g CO2e/kWh, an ISO 3166-1 alpha-3 country whose yearly
 * average is used, or an Electricity Maps zone whose live intensity the CLI asks for (token in ELECTRICITYMAPS_TOKEN,
 * as `--carbon-zone`); the first of these given wins, in that order. With the data centre's PUE (power usage
 * effectiveness, ≥ 1; default 1: the energy measured is all the energy drawn).
 */
export const CarbonConfigSchema = z.object({
  intensityGPerKWh: z.number().nonnegative().optional(),
  country: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'an ISO 3166-1 alpha-3 code such as DEU')
    .optional(),
  /** Electricity Maps zone (e.g. `DE`, `US-CAL-CISO`): live intensity, fetched by the CLI when the run starts. */
  zone: z.string().min(1).optional(),
  pue: z.number().min(1).default(1),
});
export type CarbonConfig = z.input<typeof CarbonConfigSchema>;

/** Where an intensity came from, as a Carbon record keeps it (everything but grams and PUE). */
export type GridIntensity = Omit<Carbon, 'gramsCO2e' | 'pue'>;

/**
 * The yearly average grid intensity of a country (ISO 3166-1 alpha-3, e.g. `DEU`; also `WORLD`, `EU`, … as the table
 * has them), g CO2e/kWh, from Ember's data as shipped in @tgwf/co2 (CC BY-SA 4.0). Throws CarbonInputError for a
 * code the table does not have.
 */
export function countryIntensity(country: string): GridIntensity {
  const zone = country.toUpperCase();
  const value = averageIntensity.data[zone];
  if (value === undefined)
    throw new CarbonInputError(
      `no yearly average grid intensity for "${country}"; give an ISO 3166-1 alpha-3 code such as DEU, FRA, USA (or WORLD), or --carbon-intensity G_PER_KWH`,
      country,
    );
  return {
    intensityGPerKWh: value,
    source: 'country-average',
    sourceLabel: `Ember yearly average for ${zone} (${COUNTRY_AVERAGE_YEAR_NOTE}), via @tgwf/co2 ${TGWF_CO2_VERSION}, CC BY-SA 4.0`,
    zone,
  };
}

/** An intensity the user gave (`--carbon-intensity` on the CLI, or `carbon.intensityGPerKWh` in a config). */
export function givenIntensity(intensityGPerKWh: number, source: 'cli' | 'config'): GridIntensity {
  if (!Number.isFinite(intensityGPerKWh) || intensityGPerKWh < 0)
    throw new CarbonInputError(
      `carbon intensity must be a number of g CO2e/kWh ≥ 0, got ${intensityGPerKWh}`,
      intensityGPerKWh,
    );
  return {
    intensityGPerKWh,
    source,
    sourceLabel:
      source === 'cli' ? 'given with --carbon-intensity' : 'given in the config (carbon.intensityGPerKWh)',
  };
}

/**
 * The intensity a config names: its `intensityGPerKWh` when set, else its country's yearly average; null when it
 * names neither (a `zone` alone is live: the CLI fetches it, this pure function does not). `source` says who gave a
 * fixed intensity (`cli` or `config`).
 */
export function intensityFromConfig(
  config: CarbonConfig,
  source: 'cli' | 'config' = 'config',
): GridIntensity | null {
  const parsed = CarbonConfigSchema.parse(config);
  if (parsed.intensityGPerKWh !== undefined) return givenIntensity(parsed.intensityGPerKWh, source);
  if (parsed.country !== undefined) return countryIntensity(parsed.country);
  return null;
}

/** 1 kWh in J. */
const J_PER_KWH = 3.6e6;

/**
 * Grams CO2e of `energyJ`: energy in kWh (J / 3.6e6) × intensity (g CO2e/kWh) × PUE (≥ 1, default 1) — the
 * operational-emissions formula of the Green Software Foundation's SCI (E × I) with the facility's overhead (PUE) as
 * in Lannelongue et al., "Green Algorithms" (2021). Throws CarbonInputError for a negative energy or a PUE below 1 or infinite.
 */
export function carbonOf(energyJ: number, intensity: GridIntensity, pue = 1): Carbon {
  if (!Number.isFinite(energyJ) || energyJ < 0)
    throw new CarbonInputError(`energy must be a number of J ≥ 0, got ${energyJ}`, energyJ);
  // finite too: an infinite PUE printed "Infinity kg CO2e" and recorded gramsCO2e null
  if (!(pue >= 1) || !Number.isFinite(pue))
    throw new CarbonInputError(`PUE must be a finite number ≥ 1 (1: no facility overhead), got ${pue}`, pue);
  return { ...intensity, pue, gramsCO2e: (energyJ / J_PER_KWH) * intensity.intensityGPerKWh * pue };
}

/** Grams CO2e with three significant digits: `0.0700 g CO2e`, `12.3 g CO2e`, `1.25 kg CO2e` (kg from 1000 g). */
export function formatCarbonGrams(gramsCO2e: number): string {
  return gramsCO2e >= 1000
    ? `${(gramsCO2e / 1000).toPrecision(3)} kg CO2e`
    : `${gramsCO2e.toPrecision(3)} g CO2e`;
}

/** `12.3 g CO2e (342 g/kWh × PUE 1.2; Ember yearly average for DEU …)`: one line naming the intensity's source. */
export function describeCarbon(c: Carbon): string {
  return `${formatCarbonGrams(c.gramsCO2e)} (${c.intensityGPerKWh} g/kWh × PUE ${c.pue}; ${c.sourceLabel}${c.year !== undefined ? `, ${c.year}` : ''})`;
}
