// hwmon probe against fake sysfs trees written by the test (kernel hwmon ABI: name, powerN_average/_input in µW,
// energyN_input in µJ, powerN_cap): driver → component mapping, per-sensor faults, GPU selection, the minimum interval.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { NoMeasurableDeviceError } from './device-state.js';
import { ProbeUnavailableError } from './errors.js';
import { HWMON_MIN_INTERVAL_MS, hwmonProbe, readHwmonInteger } from './hwmon.js';
import type { DeviceEvent, ProbeEvent } from './sample.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'eff-hwmon-'));
  dirs.push(root);
  return root;
}

/** Writes one hwmon chip: `name` plus the given attribute files (values as the kernel prints them, with a newline). */
async function chip(
  root: string,
  id: string,
  name: string,
  files: Record<string, string | number>,
): Promise<string> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'name'), `${name}\n`);
  for (const [file, value] of Object.entries(files)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), `${value}\n`);
  }
  return dir;
}

/** Replaces a file atomically (the kernel never shows a half-written value). */
async function put(file: string, content: string): Promise<void> {
  await writeFile(`${file}.new`, content);
  await rename(`${file}.new`, file);
}

function show(e: ProbeEvent): string {
  if (e.kind === 'device') return `${e.deviceId} ${e.state}`;
  return `${e.deviceId} ${e.component} ${e.kind} ${e.kind === 'power' ? e.powerW : e.energyJ}`;
}

/**
 * A workstation as the hwmon class shows it: a temperature-only chip (k10temp), an AMD GPU (amdgpu: power1_average,
 * power1_cap, the PCI device's drm/card0), an Intel GPU with an energy counter (i915 energy1_input), the ACPI power
 * meter (whole machine), an INA3221 rail monitor (unknown to eff) and amd_energy (the RAPL MSRs, skipped by default).
 */
async function workstation(): Promise<string> {
  const root = await tempRoot();
  await chip(root, 'hwmon0', 'k10temp', { temp1_input: 45000, temp1_label: 'Tctl' });
  await chip(root, 'hwmon1', 'amdgpu', {
    power1_average: 152_000_000,
    power1_cap: 300_000_000,
    power1_label: 'PPT',
    temp1_input: 60000,
    'device/drm/card0/dev': '226:0',
    'device/unique_id': '18a3b2c4d5e6f708',
  });
  await chip(root, 'hwmon2', 'i915', { energy1_input: 7_500_000, power1_max: 25_000_000 });
  await chip(root, 'hwmon3', 'power_meter', { power1_average: 287_000_000, power1_average_interval: 1000 });
  await chip(root, 'hwmon4', 'ina3221', { power1_input: 1_200_000 });
  await chip(root, 'hwmon5', 'amd_energy', { energy1_input: 123_456_789, energy1_label: 'Esocket0' });
  return root;
}

describe('hwmonProbe', () => {
  it('reads each power/energy channel of a known driver as a device with its component; lists the others', async () => {
    const root = await workstation();
    const probe = hwmonProbe({ root, env: {} });
    const check = await probe.check();
    expect(check).toMatchObject({
      available: true,
      devices: ['hwmon1/1', 'hwmon2/1', 'hwmon3/1'],
      selectedBy: 'all',
    });
    expect(check.unmeasurable?.map((u) => u.deviceId)).toEqual(['hwmon4/1', 'hwmon5/1']);
    expect(check.unmeasurable?.[0]?.reason).toMatch(/ina3221.*does not know .*drivers: \{ ina3221:/);
    expect(check.unmeasurable?.[1]?.reason).toMatch(/amd_energy.*the rapl probe reads the same counters/);
    const events = await firstValueFrom(probe.samples().pipe(take(6), toArray()));
    expect(events.map(show)).toEqual([
      'hwmon1/1 present',
      'hwmon2/1 present',
      'hwmon3/1 present',
      'hwmon1/1 gpu power 152',
      'hwmon2/1 gpu energy 7.5',
      'hwmon3/1 system power 287',
    ]);
    const amd = events[0] as DeviceEvent;
    expect(amd).toMatchObject({
      component: 'gpu',
      powerLimitW: 300,
      uuid: 'GPU-18a3b2c4d5e6f708',
      selectedBy: 'all',
    });
  });

  it('prefers powerN_average, else powerN_input; the drivers option adds a driver and reads a skipped one', async () => {
    const root = await workstation();
    await chip(root, 'hwmon6', 'amdgpu', { power1_input: 45_500_000, 'device/drm/card1/dev': '226:1' });
    const probe = hwmonProbe({ root, env: {}, drivers: { ina3221: 'system', amd_energy: 'cpu' } });
    const events = await firstValueFrom(probe.samples().pipe(take(12), toArray()));
    const samples = events.filter((e) => e.kind !== 'device').map(show);
    expect(samples).toEqual([
      'hwmon1/1 gpu power 152',
      'hwmon2/1 gpu energy 7.5',
      'hwmon3/1 system power 287',
      'hwmon4/1 system power 1.2',
      'hwmon5/1 cpu energy 123.456789',
      'hwmon6/1 gpu power 45.5',
    ]);
  });

  it('honours the job GPU selection for amdgpu chips (ROCR_VISIBLE_DEVICES, then the gpus option); other chips stay', async () => {
    const root = await workstation();
    await chip(root, 'hwmon6', 'amdgpu', { power1_average: 45_000_000, 'device/drm/card1/dev': '226:1' });
    const byEnv = await hwmonProbe({ root, env: { ROCR_VISIBLE_DEVICES: '1' } }).check();
    expect(byEnv).toMatchObject({
      devices: ['hwmon2/1', 'hwmon3/1', 'hwmon6/1'],
      selectedBy: 'ROCR_VISIBLE_DEVICES',
    });
    const byOption = await hwmonProbe({
      root,
      env: { ROCR_VISIBLE_DEVICES: '1' },
      gpus: ['GPU-18a3b2c4d5e6f708'],
    }).check();
    expect(byOption).toMatchObject({ devices: ['hwmon1/1', 'hwmon2/1', 'hwmon3/1'], selectedBy: 'option' });
    await expect(hwmonProbe({ root, env: {}, gpus: ['7'] }).check()).resolves.toMatchObject({
      available: false,
      reason: expect.stringMatching(/7/),
    });
  });

  it('one unreadable sensor is unsupported with the reason; the others keep being measured', async () => {
    const root = await workstation();
    // a directory where the value should be: the read fails (EISDIR), as an unreadable attribute does
    await rm(join(root, 'hwmon3', 'power1_average'));
    await mkdir(join(root, 'hwmon3', 'power1_average'));
    const events = await firstValueFrom(hwmonProbe({ root, env: {} }).samples().pipe(take(6), toArray()));
    expect(events.map(show)).toEqual([
      'hwmon1/1 present',
      'hwmon2/1 present',
      'hwmon3/1 present',
      'hwmon1/1 gpu power 152',
      'hwmon2/1 gpu energy 7.5',
      'hwmon3/1 unsupported',
    ]);
    expect((events[5] as DeviceEvent).reason).toMatch(
      /hwmon3\/1 \(power_meter\): cannot read .*power1_average: EISDIR/,
    );
  });

  it('a sensor reading garbage gives bad readings then is lost; a vanished chip is lost at once; the rest read on', async () => {
    const root = await workstation();
    const events: ProbeEvent[] = [];
    const sub = hwmonProbe({ root, env: {} })
      .samples({ intervalMs: HWMON_MIN_INTERVAL_MS })
      .subscribe((e) => events.push(e));
    try {
      await waitFor(() => events.filter((e) => e.deviceId === 'hwmon1/1' && e.kind === 'power').length >= 2);
      await put(join(root, 'hwmon1', 'power1_average'), 'garbage\n');
      await rm(join(root, 'hwmon2'), { recursive: true });
      await waitFor(() =>
        events.some((e) => e.deviceId === 'hwmon1/1' && e.kind === 'device' && e.state === 'lost'),
      );
      const after = events.length;
      await waitFor(() => events.slice(after).filter((e) => e.deviceId === 'hwmon3/1').length >= 2);
    } finally {
      sub.unsubscribe();
    }
    const states = (id: string) =>
      events.filter((e): e is DeviceEvent => e.kind === 'device' && e.deviceId === id).map((e) => e.state);
    expect(states('hwmon1/1')).toEqual(['present', 'bad-reading', 'bad-reading', 'bad-reading', 'lost']);
    expect(states('hwmon2/1')).toEqual(['present', 'lost']);
    expect(states('hwmon3/1')).toEqual(['present']);
    const lost = events.find((e) => e.kind === 'device' && e.deviceId === 'hwmon2/1' && e.state === 'lost');
    expect((lost as DeviceEvent).reason).toMatch(/vanished .*ENOENT/);
  }, 20_000);

  it('no power sensor at all (temperature chips only, or no hwmon) is unavailable; all unreadable is NoMeasurableDevice', async () => {
    const root = await tempRoot();
    await chip(root, 'hwmon0', 'k10temp', { temp1_input: 45000 });
    const check = await hwmonProbe({ root }).check();
    expect(check).toMatchObject({
      available: false,
      reason: expect.stringMatching(/no power or energy sensor under/),
    });
    await expect(firstValueFrom(hwmonProbe({ root }).samples())).rejects.toBeInstanceOf(
      ProbeUnavailableError,
    );
    expect((await hwmonProbe({ root: join(root, 'missing') }).check()).available).toBe(false);

    await chip(root, 'hwmon1', 'amdgpu', { 'power1_average/x': '' });
    const err = await lastValueFrom(hwmonProbe({ root, env: {} }).samples()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoMeasurableDeviceError);
  });

  it('raises a shorter interval to the minimum (reads are ≥ 100 ms apart, never a busy loop)', async () => {
    const root = await workstation();
    const probe = hwmonProbe({ root, env: {} });
    expect(probe.minIntervalMs).toBe(HWMON_MIN_INTERVAL_MS);
    const events = await lastValueFrom(probe.samples({ intervalMs: 1 }).pipe(take(3 + 3 * 3), toArray()));
    const times = events.filter((e) => e.kind === 'power' && e.deviceId === 'hwmon1/1').map((e) => e.tMs);
    expect(times).toHaveLength(3);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(HWMON_MIN_INTERVAL_MS - 5);
    }
  });

  it('property: any attribute content is an unsigned integer or a problem, never a throw', async () => {
    const root = await tempRoot();
    const file = join(root, 'power1_average');
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        await writeFile(file, text);
        const r = await readHwmonInteger(file);
        if ('value' in r) {
          expect(Number.isSafeInteger(r.value) && r.value >= 0).toBe(true);
          expect(text.trim()).toBe(String(r.value).padStart(text.trim().length, '0'));
        } else expect(r.problem).toMatch(/not an unsigned integer/);
      }),
      { numRuns: 200 },
    );
  });
});

async function waitFor(cond: () => boolean, withinMs = 10_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
