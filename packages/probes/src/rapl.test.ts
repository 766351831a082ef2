// Tests the RAPL probe against fake powercap trees in a temp dir (per-domain faults included) and this machine's sysfs.
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, type Observable, take, tap, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeError, ProbeUnavailableError } from './errors.js';
import { raplProbe, readRaplMicrojoules } from './rapl.js';
import type { DeviceEvent, EnergyCounterReading, ProbeEvent } from './sample.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'eff-rapl-'));
  dirs.push(root);
  return root;
}

async function zone(
  root: string,
  id: string,
  name: string,
  energyUj: number | string,
  maxUj?: number,
  constraints: Record<string, string> = {},
): Promise<string> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'name'), `${name}\n`);
  await writeFile(join(dir, 'energy_uj'), `${energyUj}\n`);
  if (maxUj !== undefined) await writeFile(join(dir, 'max_energy_range_uj'), `${maxUj}\n`);
  for (const [file, value] of Object.entries(constraints)) await writeFile(join(dir, file), `${value}\n`);
  return dir;
}

/** Replaces a file's content atomically, as the kernel's counter never shows a half-written value. */
async function put(file: string, content: string): Promise<void> {
  await writeFile(`${file}.new`, content);
  await rename(`${file}.new`, file);
}

async function fakeTree(): Promise<string> {
  const root = await tempRoot();
  const pkg = await zone(root, 'intel-rapl:0', 'package-0', 5_000_000, 262_143_328_850, {
    constraint_0_name: 'long_term',
    constraint_0_max_power_uw: '65000000',
    constraint_1_name: 'short_term',
    constraint_1_max_power_uw: '121000000',
  });
  await zone(pkg, 'intel-rapl:0:0', 'core', 3_000_000, 262_143_328_850);
  await zone(pkg, 'intel-rapl:0:1', 'uncore', 100_000, 262_143_328_850);
  await zone(pkg, 'intel-rapl:0:2', 'dram', 2_500_000, 65_712_999_613, { constraint_0_max_power_uw: '0' });
  await zone(root, 'intel-rapl:1', 'psys', 9_000_000, 262_143_328_850);
  await mkdir(join(root, 'powercap-unrelated'));
  return root;
}

const show = (e: ProbeEvent): string =>
  e.kind === 'device'
    ? `${e.deviceId} ${e.state}`
    : `${e.deviceId} ${e.kind === 'energy' ? e.energyJ : e.powerW}`;

/** Events until `until` says stop (then unsubscribes); `act(events)` runs after each event, e.g. to change sysfs. */
function collect(
  events$: Observable<ProbeEvent>,
  until: (got: ProbeEvent[]) => boolean,
  act: (got: ProbeEvent[]) => Promise<void> | void = () => {},
): Promise<ProbeEvent[]> {
  const got: ProbeEvent[] = [];
  return new Promise((resolve, reject) => {
    const sub = events$.subscribe({
      next: (e) => {
        got.push(e);
        if (until(got)) {
          sub.unsubscribe();
          resolve(got);
        } else void Promise.resolve(act(got)).catch(reject);
      },
      error: reject,
    });
  });
}

describe('raplProbe', () => {
  it('reports package as cpu and dram as ram, ignoring core, uncore and psys; present events carry the limit', async () => {
    const root = await fakeTree();
    const probe = raplProbe({ root, intervalMs: 20 });
    expect(probe.components).toEqual(['cpu', 'ram']);
    expect(await probe.check()).toEqual({ available: true, devices: ['intel-rapl:0', 'intel-rapl:0:2'] });
    const events = await firstValueFrom(probe.samples().pipe(take(4), toArray()));
    expect(events.map(show)).toEqual([
      'intel-rapl:0 present',
      'intel-rapl:0:2 present',
      'intel-rapl:0 5',
      'intel-rapl:0:2 2.5',
    ]);
    const [pkgEvent, dramEvent, cpu, ram] = events as [
      DeviceEvent,
      DeviceEvent,
      EnergyCounterReading,
      EnergyCounterReading,
    ];
    // the largest constraint_*_max_power_uw (short_term, 121 W); dram's 0 means "no limit given"
    expect(pkgEvent).toMatchObject({ kind: 'device', component: 'cpu', source: 'rapl', powerLimitW: 121 });
    expect(dramEvent).not.toHaveProperty('powerLimitW');
    expect([cpu.component, cpu.kind, cpu.source, cpu.estimated]).toEqual(['cpu', 'energy', 'rapl', false]);
    expect(cpu.rangeJ).toBeCloseTo(262_143.32885, 6);
    expect(ram.component).toBe('ram');
    expect(ram.rangeJ).toBeCloseTo(65_712.999613, 6);
  });

  it('reports core, uncore and psys when asked for them', async () => {
    const root = await fakeTree();
    const probe = raplProbe({ root, domains: ['core', 'uncore', 'psys'] });
    expect(probe.components).toEqual(['cpu', 'gpu', 'system']);
    const events = await firstValueFrom(probe.samples().pipe(take(6), toArray()));
    expect(
      events
        .filter((e) => e.kind === 'energy')
        .map((e) => [e.deviceId, e.component, (e as EnergyCounterReading).energyJ]),
    ).toEqual([
      ['intel-rapl:0:0', 'cpu', 3],
      ['intel-rapl:0:1', 'gpu', 0.1],
      ['intel-rapl:1', 'system', 9],
    ]);
  });

  it('passes a counter wrap through with rangeJ so the consumer can unwrap it', async () => {
    const root = await tempRoot();
    const pkg = await zone(root, 'intel-rapl:0', 'package-0', 999_000_000, 1_000_000_000);
    const probe = raplProbe({ root, intervalMs: 30, domains: ['package'] });
    const got = (
      await collect(
        probe.samples(),
        (all) => all.some((e) => e.kind === 'energy' && e.energyJ === 2),
        (all) => (all.length === 2 ? put(join(pkg, 'energy_uj'), '2000000\n') : undefined),
      )
    ).filter((e): e is EnergyCounterReading => e.kind === 'energy');
    const first = got[0]!;
    const last = got.at(-1)!;
    expect(first.energyJ).toBe(999);
    expect(last.rangeJ).toBe(1000);
    // A decrease plus one range is the energy used across the wrap: 1 J to the top, 2 J after it.
    expect(last.energyJ - first.energyJ + (last.rangeJ ?? 0)).toBeCloseTo(3, 9);
  });

  it('omits rangeJ when max_energy_range_uj is missing, and powerLimitW when no constraint gives one', async () => {
    const root = await tempRoot();
    await zone(root, 'intel-rapl-mmio:0', 'package-0', 7_000_000);
    const [present, s] = (await firstValueFrom(raplProbe({ root }).samples().pipe(take(2), toArray()))) as [
      DeviceEvent,
      EnergyCounterReading,
    ];
    expect(present).not.toHaveProperty('powerLimitW');
    expect(s.deviceId).toBe('intel-rapl-mmio:0');
    expect(s.energyJ).toBe(7);
    expect('rangeJ' in s).toBe(false);
  });

  describe('per-domain faults: the other domains keep being measured', () => {
    for (const [how, make] of [
      ['holds text, not microjoules', (dir: string) => writeFile(join(dir, 'energy_uj'), 'garbage\n')],
      [
        'is a directory (EISDIR)',
        async (dir: string) => {
          await rm(join(dir, 'energy_uj'));
          await mkdir(join(dir, 'energy_uj'));
        },
      ],
      ['is missing', (dir: string) => rm(join(dir, 'energy_uj'))],
    ] as const) {
      it(`a dram domain whose energy_uj ${how} is unsupported with what to do; package is measured`, async () => {
        const root = await tempRoot();
        await zone(root, 'intel-rapl:0', 'package-0', 5_000_000, 262_143_328_850);
        const dram = await zone(root, 'intel-rapl:0:2', 'dram', 2_500_000);
        await make(dram);
        const probe = raplProbe({ root, intervalMs: 20 });
        const check = await probe.check();
        expect(check.available).toBe(true);
        expect(check.devices).toEqual(['intel-rapl:0']);
        expect(check.unmeasurable?.map((u) => u.deviceId)).toEqual(['intel-rapl:0:2']);
        const events = await firstValueFrom(probe.samples().pipe(take(6), toArray()));
        expect(events.map(show)).toEqual([
          'intel-rapl:0 present',
          'intel-rapl:0:2 present',
          'intel-rapl:0 5',
          'intel-rapl:0:2 unsupported',
          'intel-rapl:0 5',
          'intel-rapl:0 5',
        ]);
        const reason = (events[3] as DeviceEvent).reason ?? '';
        expect(reason).toContain(join(dram, 'energy_uj'));
        expect(reason).toMatch(/--probe estimate/);
      });
    }

    it('a domain whose energy_uj turns to garbage mid-run is a bad-reading, then measured again', async () => {
      const root = await tempRoot();
      const pkg = await zone(root, 'intel-rapl:0', 'package-0', 5_000_000);
      const dram = await zone(root, 'intel-rapl:0:2', 'dram', 2_500_000);
      const events = await collect(
        raplProbe({ root, intervalMs: 40 }).samples(),
        (all) =>
          all.filter((e) => e.deviceId === 'intel-rapl:0:2' && e.kind === 'energy').length >= 2 &&
          all.some((e) => e.kind === 'energy' && e.energyJ === 5.1),
        async (all) => {
          if (all.length === 4) await put(join(dram, 'energy_uj'), 'N/A\n');
          if (all.at(-1)?.kind === 'device' && (all.at(-1) as DeviceEvent).state === 'bad-reading') {
            await put(join(dram, 'energy_uj'), '2600000\n');
            await put(join(pkg, 'energy_uj'), '5100000\n');
          }
        },
      );
      const dramEvents = events.filter((e) => e.deviceId === 'intel-rapl:0:2').map(show);
      expect(dramEvents[0]).toBe('intel-rapl:0:2 present');
      expect(dramEvents).toContain('intel-rapl:0:2 bad-reading');
      expect(dramEvents.at(-1)).toBe('intel-rapl:0:2 2.6');
      // package read on every tick throughout
      const pkgValues = events.filter((e) => e.deviceId === 'intel-rapl:0' && e.kind === 'energy').map(show);
      expect(pkgValues.length).toBeGreaterThanOrEqual(3);
      expect(pkgValues.at(-1)).toBe('intel-rapl:0 5.1');
      const bad = events.find((e) => e.kind === 'device' && e.state === 'bad-reading') as DeviceEvent;
      expect(bad.reason).toMatch(/holds "N\/A"; expected a non-negative integer/);
    });

    it('a domain that vanishes mid-run is lost once (not per tick), and back when it reappears', async () => {
      const root = await tempRoot();
      await zone(root, 'intel-rapl:0', 'package-0', 5_000_000);
      const dram = await zone(root, 'intel-rapl:0:2', 'dram', 2_500_000);
      let pkgAfterLoss = 0;
      const events = await collect(
        raplProbe({ root, intervalMs: 30 }).samples(),
        (all) => all.filter((e) => e.deviceId === 'intel-rapl:0:2' && e.kind === 'energy').length === 2,
        async (all) => {
          const last = all.at(-1)!;
          if (all.length === 4) await rename(dram, `${dram}.gone`);
          if (
            last.kind === 'energy' &&
            last.deviceId === 'intel-rapl:0' &&
            all.some((e) => e.kind === 'device' && e.state === 'lost')
          ) {
            pkgAfterLoss += 1;
            if (pkgAfterLoss === 3) await rename(`${dram}.gone`, dram);
          }
        },
      );
      const dramEvents = events.filter((e) => e.deviceId === 'intel-rapl:0:2').map(show);
      expect(dramEvents).toEqual([
        'intel-rapl:0:2 present',
        'intel-rapl:0:2 2.5',
        'intel-rapl:0:2 lost',
        'intel-rapl:0:2 2.5',
      ]);
      expect(pkgAfterLoss).toBeGreaterThanOrEqual(3);
    });

    it('no domain readable -> unsupported events, then the typed error naming each file', async () => {
      const root = await tempRoot();
      await zone(root, 'intel-rapl:0', 'package-0', 'x');
      await zone(root, 'intel-rapl:0:2', 'dram', '-5');
      const events: ProbeEvent[] = [];
      const err = await lastValueFrom(
        raplProbe({ root })
          .samples()
          .pipe(tap((e) => events.push(e))),
      ).catch((e: unknown) => e);
      expect(events.map(show)).toEqual([
        'intel-rapl:0 present',
        'intel-rapl:0:2 present',
        'intel-rapl:0 unsupported',
        'intel-rapl:0:2 unsupported',
      ]);
      expect(err).toBeInstanceOf(ProbeError);
      expect((err as ProbeError).code).toBe('E_PROBE_READ');
      expect((err as Error).message).toMatch(
        /intel-rapl:0\/energy_uj holds "x".* \/ .*intel-rapl:0:2\/energy_uj holds "-5"/,
      );
      const check = await raplProbe({ root }).check();
      expect(check.available).toBe(false);
      expect(check.reason).toMatch(/holds "x"/);
    });

    // As root chmod does not deny reads; a child run as `nobody` (setpriv) meets the real EACCES.
    const canDrop = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
    it.skipIf(!canDrop)(
      'a root-only energy_uj (EACCES, as since CVE-2020-8694) is unsupported with the chmod fix',
      async () => {
        const root = await tempRoot();
        await chmod(root, 0o755);
        await zone(root, 'intel-rapl:0', 'package-0', 5_000_000);
        const dram = await zone(root, 'intel-rapl:0:2', 'dram', 2_500_000);
        await chmod(join(dram, 'energy_uj'), 0o400);
        const script = `
        const { raplProbe } = await import(${JSON.stringify(join(import.meta.dirname, 'rapl.ts'))});
        const { firstValueFrom, take, toArray } = await import('rxjs');
        const probe = raplProbe({ root: ${JSON.stringify(root)}, intervalMs: 20 });
        const events = await firstValueFrom(probe.samples().pipe(take(4), toArray()));
        console.log(JSON.stringify({ check: await probe.check(), events }));`;
        const run = spawnSync(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            script,
          ],
          { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 60_000 },
        );
        expect(run.stderr).toBe('');
        const { check, events } = JSON.parse(run.stdout) as {
          check: { devices: string[] };
          events: ProbeEvent[];
        };
        expect(check.devices).toEqual(['intel-rapl:0']);
        expect(events.map(show)).toEqual([
          'intel-rapl:0 present',
          'intel-rapl:0:2 present',
          'intel-rapl:0 5',
          'intel-rapl:0:2 unsupported',
        ]);
        const reason = (events[3] as DeviceEvent).reason ?? '';
        expect(reason).toMatch(/permission denied, root-only since CVE-2020-8694/);
        expect(reason).toMatch(/sudo chmod -R a\+r \/sys\/class\/powercap\/intel-rapl\*.*--probe estimate/);
      },
      90_000,
    );
  });

  it('property: any energy_uj content reads as a safe non-negative integer of µJ or a typed error, never a throw', async () => {
    const root = await tempRoot();
    const file = join(root, 'energy_uj');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.nat().map(String), fc.double().map(String), fc.bigInt().map(String)),
        async (text) => {
          await writeFile(file, text);
          const read = await readRaplMicrojoules(file);
          if ('uj' in read) {
            expect(Number.isSafeInteger(read.uj) && read.uj >= 0).toBe(true);
            expect(read.uj).toBe(Number(text.trim()));
          } else {
            expect(read.error).toBeInstanceOf(ProbeError);
            expect(read.error.code).toBe('E_PROBE_READ');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: N well-formed domains give N present events and N readings of the written values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 2 ** 40 }), { minLength: 1, maxLength: 6 }), async (values) => {
        const root = await tempRoot();
        for (const [i, uj] of values.entries())
          await zone(root, `intel-rapl:${i}`, `package-${i}`, uj, 2 ** 41);
        const events = await firstValueFrom(
          raplProbe({ root })
            .samples()
            .pipe(take(2 * values.length), toArray()),
        );
        expect(events.filter((e) => e.kind === 'device' && e.state === 'present')).toHaveLength(
          values.length,
        );
        expect(
          events.filter((e) => e.kind === 'energy').map((e) => (e as EnergyCounterReading).energyJ),
        ).toEqual(values.map((uj) => uj / 1e6));
      }),
      { numRuns: 25 },
    );
  });

  it('on this machine (no RAPL) says why it is unavailable', async () => {
    const probe = raplProbe();
    const check = await probe.check();
    expect(check).toEqual({
      available: false,
      reason: 'no RAPL zones under /sys/class/powercap (usual in VMs and containers); use --probe estimate',
    });
    const err = await firstValueFrom(probe.samples()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeUnavailableError);
    expect((err as ProbeUnavailableError).code).toBe('E_PROBE_UNAVAILABLE');
  });
});
