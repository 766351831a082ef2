// Live intensity against a local HTTP server speaking Electricity Maps' documented `latest` shape (no network).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carbonFromCli } from './carbon-option.js';
import { CarbonApiError, fetchLiveIntensity } from './live-intensity.js';

describe('fetchLiveIntensity (local server on 127.0.0.1)', () => {
  let server: Server;
  let baseUrl: string;
  const seen: IncomingMessage[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      if (req.headers['auth-token'] !== 'good-token') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"unauthorized"}');
        return;
      }
      const zone = new URL(req.url ?? '/', 'http://x').searchParams.get('zone');
      const body =
        zone === 'BROKEN'
          ? { zone }
          : {
              zone,
              carbonIntensity: 302,
              datetime: '2026-11-30T13:00:00.000Z',
              updatedAt: '2026-11-30T12:47:00.000Z',
              emissionFactorType: 'lifecycle',
              isEstimated: true,
              estimationMethod: 'TIME_SLICER_AVERAGE',
            };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('asks /v3/carbon-intensity/latest with the token header and cites zone, hour and year', async () => {
    const i = await fetchLiveIntensity({ zone: 'DE', token: 'good-token', baseUrl: `${baseUrl}/` });
    expect(seen.at(-1)?.url).toBe('/v3/carbon-intensity/latest?zone=DE');
    expect(i).toEqual({
      intensityGPerKWh: 302,
      source: 'api',
      sourceLabel:
        'Electricity Maps live intensity for DE at 2026-11-30T13:00:00.000Z (lifecycle, estimated)',
      zone: 'DE',
      year: 2026,
    });
  });

  it('says what to do on a refused token and on a body without the documented fields', async () => {
    await expect(fetchLiveIntensity({ zone: 'DE', token: 'bad', baseUrl })).rejects.toThrow(
      /HTTP 401: check the token in ELECTRICITYMAPS_TOKEN/,
    );
    await expect(fetchLiveIntensity({ zone: 'BROKEN', token: 'good-token', baseUrl })).rejects.toThrow(
      /did not answer with \{ zone, carbonIntensity, datetime \}: carbonIntensity/,
    );
  });

  it('--carbon-zone reads token and URL from the environment; without a token it refuses before any request', async () => {
    const before = seen.length;
    await expect(carbonFromCli({ carbonZone: 'DE' }, {})).rejects.toBeInstanceOf(CarbonApiError);
    expect(seen.length).toBe(before);
    const c = await carbonFromCli(
      { carbonZone: 'FR', pue: 1.1 },
      { ELECTRICITYMAPS_TOKEN: 'good-token', EFF_CARBON_API_URL: baseUrl },
    );
    expect(c?.pue).toBe(1.1);
    expect(c?.intensity.zone).toBe('FR');
    expect(c?.intensity.intensityGPerKWh).toBe(302);
  });
});
