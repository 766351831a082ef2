// amd-smi probe: the metric JSON parser (6.0 and 6.1+ shapes, properties), per-GPU faults, selection and the minimum
// interval through a strict fake amd-smi first on PATH.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf } from '../test/processes.js';
import { AMD_SMI_MIN_INTERVAL_MS, amdSmiProbe, parseAmdSmiMetricJson } from './amd-smi.js';
import { NoMeasurableDeviceError } from './device-state.js';
import { ProbeParseError, ProbeUnavailableError } from './errors.js';
import type { DeviceEvent, ProbeEvent } from './sample.js';

const fakeDir = join(import.meta.dirname, '..', 'test', 'fake-tools', 'amd-smi-bin');
process.env.PATH = `${fakeDir}${delimiter}${process.env.PATH ?? ''}`;
const FAKE_ENV = ['FAKE_AMDSMI_REPLIES', 'FAKE_AMDSMI_VERSION', 'FAKE_AMDSMI_MODE'];
afterEach(() => {
  for (const name of FAKE_ENV) delete process.env[name];
});

/** Makes the fake print `polls[N-1]` on its N-th poll (the last one from then on). */
function replay(polls: unknown[][]): void {
  const file = join(mkdtempSync(join(tmpdir(), 'eff-amdsmi-')), 'replies.json');
  writeFileSync(file, JSON.stringify(polls));
  process.env.FAKE_AMDSMI_REPLIES = file;
}

function show(e: ProbeEvent): string {
  if (e.kind === 'device') return `${e.deviceId} ${e.state}`;
  return `${e.deviceId} ${e.kind}`;
}

const v = (value: unknown, unit: string) => ({ value, unit });

describe('parseAmdSmiMetricJson', () => {
  it('reads 6.1+ {value, unit} objects, 6.0 bare numbers and current_power, and the gpu_data wrapper', () => {
    const v62 = JSON.stringify(
      [
        {
          gpu: 0,
          power: { socket_power: v(200, 'W'), gfx_voltage: 'N/A' },
          energy: { total_energy_consumption: v(1234.5, 'J') },
        },
        {
          gpu: 1,
          power: { socket_power: v(95500, 'mW') },
          energy: { total_energy_consumption: v(2_000_000, 'uJ') },
        },
      ],
      null,
      4,
    );
    expect(parseAmdSmiMetricJson(`WARNING: some log line\n${v62}`)).toEqual([
      { gpu: 0, deviceId: 'gpu0', powerW: 200, energyJ: 1234.5, problems: [] },
      { gpu: 1, deviceId: 'gpu1', powerW: 95.5, energyJ: 2, problems: [] },
    ]);
    const v60 =
      '[{"gpu": 3, "power": {"current_power": 151, "power_limit": 300}, "energy": {"total_energy_consumption": 77.125}}]';
    expect(parseAmdSmiMetricJson(v60)).toEqual([
      { gpu: 3, deviceId: 'gpu3', powerW: 151, energyJ: 77.125, powerLimitW: 300, problems: [] },
    ]);
    expect(parseAmdSmiMetricJson(`{"gpu_data": ${v60}}`)).toHaveLength(1);
  });
  it('an N/A or malformed value spoils only its own GPU, and says why', () => {
    const text = JSON.stringify([
      { gpu: 0, power: { socket_power: 'N/A' }, energy: 'N/A' },
      { gpu: 1, power: { socket_power: v('N/A', 'W') }, energy: { total_energy_consumption: v(10, 'J') } },
      { gpu: 2, power: { socket_power: v(50, 'kW') }, energy: { total_energy_consumption: v(-3, 'J') } },
      'Unknown Error',
    ]);
    expect(parseAmdSmiMetricJson(text)).toEqual([
      { gpu: 0, deviceId: 'gpu0', problems: ['power.socket_power is N/A', 'energy is N/A'] },
      { gpu: 1, deviceId: 'gpu1', energyJ: 10, problems: ['power.socket_power is N/A'] },
      {
        gpu: 2,
        deviceId: 'gpu2',
        problems: [
          'power.socket_power is in unit "kW", not one of W, mW, uW',
          'energy.total_energy_consumption is {"value":-3,"unit":"J"}, not a non-negative number',
        ],
      },
      { gpu: 3, deviceId: 'gpu3', problems: ['its entry is "Unknown Error", not an object'] },
    ]);
    expect(() => parseAmdSmiMetricJson('ERROR: Driver not loaded')).toThrow(ProbeParseError);
    expect(() => parseAmdSmiMetricJson('{"gpu": 0}')).toThrow(ProbeParseError);
    expect(() => parseAmdSmiMetricJson('[{"gpu": 0,')).toThrow(ProbeParseError);
  });
  it('property: arbitrary output never escapes as another exception; N well-formed GPUs give N readings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          for (const r of parseAmdSmiMetricJson(text)) {
            if (r.powerW !== undefined) expect(r.powerW).toBeGreaterThanOrEqual(0);
            if (r.energyJ !== undefined) expect(Number.isFinite(r.energyJ)).toBe(true);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(ProbeParseError);
        }
      }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: 0, max: 2000, noNaN: true }),
            fc.double({ min: 0, max: 1e12, noNaN: true }),
          ),
          {
            minLength: 1,
            maxLength: 16,
          },
        ),
        fc.boolean(),
        (gpus, old) => {
          const list = gpus.map(([w, j], gpu) =>
            old
              ? { gpu, power: { current_power: w }, energy: { total_energy_consumption: j } }
              : { gpu, power: { socket_power: v(w, 'W') }, energy: { total_energy_consumption: v(j, 'J') } },
          );
          const readings = parseAmdSmiMetricJson(JSON.stringify(list, null, 4));
          expect(readings.map((r) => [r.powerW, r.energyJ])).toEqual(gpus);
        },
      ),
    );
  });
});

describe('amdSmiProbe against a fake amd-smi', () => {
  it('reads each GPU: present, then its energy counter and its power, every poll', async () => {
    const probe = amdSmiProbe({ env: {} });
    expect(await probe.check()).toEqual({ available: true, devices: ['gpu0', 'gpu1'], selectedBy: 'all' });
    const events = await lastValueFrom(probe.samples().pipe(take(10), toArray()));
    expect(events.map(show)).toEqual([
      'gpu0 present',
      'gpu1 present',
      'gpu0 energy',
      'gpu0 power',
      'gpu1 energy',
      'gpu1 power',
      'gpu0 energy',
      'gpu0 power',
      'gpu1 energy',
      'gpu1 power',
    ]);
    const power = events.filter((e) => e.kind === 'power').map((e) => (e.kind === 'power' ? e.powerW : 0));
    expect(power).toEqual([200, 95, 200, 95]);
    // the counter advances at the GPU's power between polls (the fake's counter runs on the wall clock)
    const [e0, e1] = events.filter((e) => e.kind === 'energy' && e.deviceId === 'gpu0');
    if (e0?.kind !== 'energy' || e1?.kind !== 'energy') throw new Error('no energy samples');
    const wattsSeen = (e1.energyJ - e0.energyJ) / ((e1.tMs - e0.tMs) / 1000);
    expect(wattsSeen).toBeGreaterThan(150);
    expect(wattsSeen).toBeLessThan(260);
    expect(childrenOf(process.pid)).toEqual([]);
  });

  it('reads the 6.0 shape too (bare numbers, current_power, power_limit as the device limit)', async () => {
    process.env.FAKE_AMDSMI_VERSION = '6.0';
    const events = await lastValueFrom(amdSmiProbe({ env: {} }).samples().pipe(take(4), toArray()));
    expect(events.map(show)).toEqual(['gpu0 present', 'gpu1 present', 'gpu0 energy', 'gpu0 power']);
    expect(events[0]).toMatchObject({ kind: 'device', powerLimitW: 300 });
  });

  it('a GPU without power and energy is unsupported; the other keeps being measured', async () => {
    replay([
      [
        { gpu: 0, watts: 180 },
        { gpu: 1, power: { socket_power: 'N/A' }, energy: 'N/A' },
      ],
    ]);
    const probe = amdSmiProbe({ env: {} });
    const check = await probe.check();
    expect(check).toMatchObject({ available: true, devices: ['gpu0'] });
    expect(check.unmeasurable?.[0]?.reason).toMatch(/gpu1: power.socket_power is N\/A; energy is N\/A/);
    const events = await lastValueFrom(probe.samples().pipe(take(5), toArray()));
    expect(events.map(show)).toEqual([
      'gpu0 present',
      'gpu1 present',
      'gpu1 unsupported',
      'gpu0 energy',
      'gpu0 power',
    ]);
  });

  it('no GPU measurable: NoMeasurableDeviceError after the events', async () => {
    replay([[{ gpu: 0, power: 'N/A', energy: 'N/A' }]]);
    const events: ProbeEvent[] = [];
    const err = await new Promise((resolve) =>
      amdSmiProbe({ env: {} })
        .samples()
        .subscribe({ next: (e) => events.push(e), error: resolve }),
    );
    expect(err).toBeInstanceOf(NoMeasurableDeviceError);
    expect(events.map(show)).toEqual(['gpu0 present', 'gpu0 unsupported']);
  });

  it('a GPU that vanishes or reads N/A later is lost / a bad reading; the other reads on', async () => {
    replay([
      [
        { gpu: 0, watts: 100 },
        { gpu: 1, watts: 50 },
      ],
      [{ gpu: 0, watts: 100 }],
      [
        { gpu: 0, power: { socket_power: 'N/A' }, energy: 'N/A' },
        { gpu: 1, watts: 50 },
      ],
    ]);
    const events = await lastValueFrom(amdSmiProbe({ env: {} }).samples().pipe(take(11), toArray()));
    expect(events.map(show)).toEqual([
      'gpu0 present',
      'gpu1 present',
      'gpu0 energy',
      'gpu0 power',
      'gpu1 energy',
      'gpu1 power',
      'gpu0 energy',
      'gpu0 power',
      'gpu1 lost',
      'gpu0 bad-reading',
      'gpu1 energy',
    ]);
    expect((events[8] as DeviceEvent).reason).toMatch(/missing from amd-smi's output/);
  }, 15_000);

  it('selects the job GPUs: ROCR_VISIBLE_DEVICES, the gpus option over it, an absent GPU refused', async () => {
    expect(await amdSmiProbe({ env: { ROCR_VISIBLE_DEVICES: '1' } }).check()).toEqual({
      available: true,
      devices: ['gpu1'],
      selectedBy: 'ROCR_VISIBLE_DEVICES',
    });
    expect(await amdSmiProbe({ env: { ROCR_VISIBLE_DEVICES: '1' }, gpus: ['0'] }).check()).toMatchObject({
      devices: ['gpu0'],
      selectedBy: 'option',
    });
    const bad = await amdSmiProbe({ env: {}, gpus: ['4'] }).check();
    expect(bad.available).toBe(false);
    expect(bad.reason).toMatch(/"4"/);
  });

  it("no amdgpu driver: unavailable with amd-smi's own words; missing amd-smi: unavailable with the install hint", async () => {
    process.env.FAKE_AMDSMI_MODE = 'nodriver';
    const check = await amdSmiProbe().check();
    expect(check).toEqual({
      available: false,
      reason: expect.stringMatching(
        /^amd-smi found no AMD GPU \(exit 255\): ERROR: Driver not loaded \(amdgpu not found in modules\)/,
      ),
    });
    await expect(firstValueFrom(amdSmiProbe().samples())).rejects.toBeInstanceOf(ProbeUnavailableError);
    expect((await amdSmiProbe({ binary: 'amd-smi-absent' }).check()).reason).toMatch(
      /not found; install ROCm 6\+/,
    );
  });

  it('unparseable output: tolerated three times, then ProbeParseError', async () => {
    process.env.FAKE_AMDSMI_MODE = 'garbage';
    const err = await lastValueFrom(amdSmiProbe().samples()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeParseError);
    expect((err as Error).message).toMatch(/4 unparseable outputs in a row/);
  }, 15_000);

  it('raises a shorter interval to the 1 s minimum', async () => {
    const probe = amdSmiProbe({ env: {}, intervalMs: 10 });
    expect(probe.minIntervalMs).toBe(AMD_SMI_MIN_INTERVAL_MS);
    const events = await lastValueFrom(probe.samples({ intervalMs: 10 }).pipe(take(2 + 4 * 2), toArray()));
    const t = events.filter((e) => e.kind === 'power' && e.deviceId === 'gpu0').map((e) => e.tMs);
    expect(t).toHaveLength(2);
    // Polls start 1000 ms apart; a reading is stamped when its poll's output arrives, so the gap is
    // 1000 ms + (second poll's duration − first's). A cold first spawn on a loaded machine took ~250 ms longer:
    // the bound keeps clear of that and still far above the 10 ms a probe that did not raise would show.
    expect((t[1] ?? 0) - (t[0] ?? 0)).toBeGreaterThan(AMD_SMI_MIN_INTERVAL_MS / 2);
  });
});
