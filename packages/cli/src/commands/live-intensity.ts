// Live grid intensity from Electricity Maps' API (`GET /v3/carbon-intensity/latest?zone=…`, header `auth-token`).
import type { GridIntensity } from '@eff/core';
import { z } from 'zod';
import { EffCliError } from '../errors.js';

/** Electricity Maps' public API; `EFF_CARBON_API_URL` (or `baseUrl`) points elsewhere, e.g. a proxy or a test server. */
export const ELECTRICITY_MAPS_URL = 'https://api.electricitymap.org';

/** The live intensity could not be had: no token, the API refused, or its answer was not the documented shape. */
export class CarbonApiError extends EffCliError {
  constructor(message: string) {
    super('E_CARBON_API', message, 1);
  }
}

/**
 * The fields eff reads of `/v3/carbon-intensity/latest` (Electricity Maps API v3 docs: `zone`, `carbonIntensity` in
 * gCO2eq/kWh, `datetime` ISO 8601 of the hour it describes, `emissionFactorType` lifecycle|direct, `isEstimated`).
 */
const LatestSchema = z.object({
  zone: z.string(),
  carbonIntensity: z.number().nonnegative(),
  datetime: z.string(),
  emissionFactorType: z.string().optional(),
  isEstimated: z.boolean().optional(),
});

export interface LiveIntensityOptions {
  /** Electricity Maps zone, e.g. `DE`, `FR`, `US-CAL-CISO`. */
  zone: string;
  /** API token (sent as the `auth-token` header). */
  token: string;
  /** Default ELECTRICITY_MAPS_URL. */
  baseUrl?: string;
  /** Abort after this many ms; default 10 000. */
  timeoutMs?: number;
}

/**
 * The latest grid intensity of `zone`, g CO2e/kWh, as a GridIntensity with source `api`, the year of the hour it
 * describes, and a label naming the zone, the hour and the emission factor. Throws CarbonApiError when the request
 * fails, the API answers an HTTP error (401: the token) or the body lacks the documented fields.
 */
export async function fetchLiveIntensity(options: LiveIntensityOptions): Promise<GridIntensity> {
  const base = (options.baseUrl ?? ELECTRICITY_MAPS_URL).replace(/\/+$/, '');
  const url = `${base}/v3/carbon-intensity/latest?zone=${encodeURIComponent(options.zone)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { 'auth-token': options.token },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new CarbonApiError(
      `could not reach ${base} for the live carbon intensity (${(err as Error).message}); give --carbon-intensity G_PER_KWH or --carbon-country ISO3 instead.`,
    );
  }
  if (!response.ok)
    throw new CarbonApiError(
      `${url} answered HTTP ${response.status}${response.status === 401 || response.status === 403 ? ': check the token in ELECTRICITYMAPS_TOKEN' : ''}; give --carbon-intensity or --carbon-country instead.`,
    );
  const parsed = LatestSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success)
    throw new CarbonApiError(
      `${url} did not answer with { zone, carbonIntensity, datetime }: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
    );
  const { zone, carbonIntensity, datetime, emissionFactorType, isEstimated } = parsed.data;
  const year = new Date(datetime).getUTCFullYear();
  return {
    intensityGPerKWh: carbonIntensity,
    source: 'api',
    sourceLabel: `Electricity Maps live intensity for ${zone} at ${datetime}${emissionFactorType ? ` (${emissionFactorType}${isEstimated ? ', estimated' : ''})` : ''}`,
    zone,
    ...(Number.isFinite(year) ? { year } : {}),
  };
}
