// Tests the RAPL probe against fake powercap trees in a temp dir and against this machine's real sysfs.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeError, ProbeUnavailableError } from './errors.js';
import { raplProbe } from './rapl.js';
import type { EnergyCounterReading } from './sample.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function zone(
  root: string,
  id: string,
  name: string,
  energyUj: number,
  maxUj?: number,
): Promise<string> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'name'), `${name}\n`);
  await writeFile(join(dir, 'energy_uj'), `${energyUj}\n`);
  if (maxUj !== undefined) await writeFile(join(dir, 'max_energy_range_uj'), `${maxUj}\n`);
  return dir;
}

async function fakeTree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'eff-rapl-'));
  dirs.push(root);
  const pkg = await zone(root, 'intel-rapl:0', 'package-0', 5_000_000, 262_143_328_850);
  await zone(pkg, 'intel-rapl:0:0', 'core', 3_000_000, 262_143_328_850);
  await zone(pkg, 'intel-rapl:0:1', 'uncore', 100_000, 262_143_328_850);
  await zone(pkg, 'intel-rapl:0:2', 'dram', 2_500_000, 65_712_999_613);
  await zone(root, 'intel-rapl:1', 'psys', 9_000_000, 262_143_328_850);
  await mkdir(join(root, 'powercap-unrelated'));
  return root;
}

describe('raplProbe', () => {
  it('reports package as cpu and dram as ram, ignoring core, uncore and psys', async () => {
    const root = await fakeTree();
    const probe = raplProbe({ root, intervalMs: 20 });
    expect(await probe.check()).toEqual({ available: true, devices: ['intel-rapl:0', 'intel-rapl:0:2'] });
    const samples = await firstValueFrom(probe.samples().pipe(take(2), toArray()));
    expect(samples.map((s) => [s.deviceId, s.component, s.kind, s.source, s.estimated])).toEqual([
      ['intel-rapl:0', 'cpu', 'energy', 'rapl', false],
      ['intel-rapl:0:2', 'ram', 'energy', 'rapl', false],
    ]);
    const [cpu, ram] = samples as [EnergyCounterReading, EnergyCounterReading];
    expect(cpu.energyJ).toBe(5);
    expect(cpu.rangeJ).toBeCloseTo(262_143.32885, 6);
    expect(ram.energyJ).toBe(2.5);
    expect(ram.rangeJ).toBeCloseTo(65_712.999613, 6);
  });

  it('passes a counter wrap through with rangeJ so the consumer can unwrap it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eff-rapl-'));
    dirs.push(root);
    const pkg = await zone(root, 'intel-rapl:0', 'package-0', 999_000_000, 1_000_000_000);
    const probe = raplProbe({ root, intervalMs: 30, domains: ['package'] });
    const got: EnergyCounterReading[] = [];
    await new Promise<void>((resolve, reject) => {
      const sub = probe.samples().subscribe({
        next: (s) => {
          got.push(s as EnergyCounterReading);
          if (got.length === 1)
            void writeFile(join(pkg, 'energy_uj.new'), '2000000\n').then(() =>
              rename(join(pkg, 'energy_uj.new'), join(pkg, 'energy_uj')),
            );
          if (got.at(-1)?.energyJ === 2) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    const first = got[0];
    const last = got.at(-1);
    if (!first || !last) throw new Error('no samples');
    expect(first.energyJ).toBe(999);
    expect(last.rangeJ).toBe(1000);
    // A decrease plus one range is the energy used across the wrap: 1 J to the top, 2 J after it.
    expect(last.energyJ - first.energyJ + (last.rangeJ ?? 0)).toBeCloseTo(3, 9);
  });

  it('omits rangeJ when max_energy_range_uj is missing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eff-rapl-'));
    dirs.push(root);
    await zone(root, 'intel-rapl-mmio:0', 'package-0', 7_000_000);
    const s = (await firstValueFrom(raplProbe({ root }).samples())) as EnergyCounterReading;
    expect(s.deviceId).toBe('intel-rapl-mmio:0');
    expect(s.energyJ).toBe(7);
    expect('rangeJ' in s).toBe(false);
  });

  // Tests run as root, where chmod 000 does not deny reads, so EACCES (-> ProbePermissionError) cannot be
  // produced here; an energy_uj that is a directory (EISDIR) exercises the same unreadable-counter path.
  it('puts a typed error on the stream when energy_uj cannot be read', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eff-rapl-'));
    dirs.push(root);
    const dir = join(root, 'intel-rapl:0');
    await mkdir(join(dir, 'energy_uj'), { recursive: true });
    await writeFile(join(dir, 'name'), 'package-0\n');
    const err = await firstValueFrom(raplProbe({ root }).samples()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).code).toBe('E_PROBE_READ');
    expect((err as Error).message).toContain(join(dir, 'energy_uj'));
    const check = await raplProbe({ root }).check();
    expect(check.available).toBe(false);
    expect(check.reason).toContain('EISDIR');
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
