// The probes of issue 15 (hwmon, amd-smi, ipmi) end to end through the real meter: counter checks on hwmon and
// amd-smi counters, and a whole-node (system) reading taken as the total instead of being added to the components.
// Fakes only at the boundary: fake sysfs trees written here, the probes package's fake amd-smi and ipmitool on PATH.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { amdSmiProbe, hwmonProbe, ipmiProbe, type Probe } from '@eff/probes';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startMeter } from './meter.js';

const FAKES = fileURLToPath(new URL('../../probes/test/fake-tools/', import.meta.url));
const savedPath = process.env.PATH;
process.env.PATH = [join(FAKES, 'amd-smi-bin'), join(FAKES, 'ipmi-bin'), savedPath ?? ''].join(delimiter);
afterAll(() => {
  process.env.PATH = savedPath;
});

/** Energies are right within 5 % of power × the measured window (the fakes' counters run on the wall clock). */
const TOLERANCE = 0.05;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectNear(actual: number | undefined, expected: number): void {
  expect(actual).toBeDefined();
  expect(Math.abs((actual ?? 0) - expected)).toBeLessThanOrEqual(TOLERANCE * expected);
}

/** Meters `probes` for `holdMs` from the first samples of every device, as measureEfficiency does around a run. */
async function meterFor(probes: Probe[], holdMs: number, intervalMs = 1000) {
  const m = startMeter(probes, { intervalMs });
  try {
    const a = await m.waitFirstSamples(20_000);
    if (a === null) throw new Error('no first samples');
    await sleep(holdMs);
    const b = a + holdMs;
    await m.waitCovered(b, 20_000);
    const r = m.energyBetween(a, b);
    const dev = (id: string) => r.probes.flatMap((p) => p.deviceReports).find((d) => d.deviceId === id);
    return { r, dev, seconds: (b - a) / 1000 };
  } finally {
    await m.stop();
  }
}

describe('hwmon energy counters are checked, not trusted', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  /**
   * A peci_cpupower chip (the kernel driver exposes power1_average and energy1_input for the CPU package:
   * Documentation/hwmon/peci-cpupower.rst) reading `watts`, whose counter is written by `counterUj(elapsedMs)`.
   */
  function cpuChip(watts: number, counterUj: (elapsedMs: number) => number) {
    const root = mkdtempSync(join(tmpdir(), 'eff-hwmon-'));
    roots.push(root);
    const dir = join(root, 'hwmon4');
    mkdirSync(dir);
    writeFileSync(join(dir, 'name'), 'peci_cpupower\n');
    writeFileSync(join(dir, 'power1_average'), `${watts * 1e6}\n`);
    writeFileSync(join(dir, 'power1_cap'), '125000000\n');
    writeFileSync(join(dir, 'energy1_input'), `${counterUj(0)}\n`);
    const t0 = Date.now();
    // One writer, each value computed when it is written (a queue of writes would lag behind the clock under load),
    // each an atomic replace (the kernel's file never reads half-written); stop() waits for the last write.
    let stopped = false;
    const writer = (async () => {
      while (!stopped) {
        const uj = Math.max(0, Math.round(counterUj(Date.now() - t0)));
        await writeFile(join(dir, 'energy1_input.new'), `${uj}\n`);
        await rename(join(dir, 'energy1_input.new'), join(dir, 'energy1_input'));
        await sleep(5);
      }
    })();
    const stop = async () => {
      stopped = true;
      await writer;
    };
    return { root, stop };
  }

  it('a healthy counter gives the joules (method counter)', async () => {
    const chip = cpuChip(65, (ms) => 5e9 + 65 * ms * 1000);
    try {
      const { r, dev, seconds } = await meterFor([hwmonProbe({ root: chip.root })], 2500, 250);
      expect(dev('hwmon4/1')).toMatchObject({ status: 'measured', method: 'counter', uncoveredMs: 0 });
      expectNear(dev('hwmon4/1')?.energyJ, 65 * seconds);
      expectNear(r.energyJ.cpu, 65 * seconds);
      expect(r.degraded).toBe(false);
    } finally {
      await chip.stop();
    }
  });

  it('a frozen counter while the chip reads 65 W: the power readings give the joules (method power)', async () => {
    const chip = cpuChip(65, () => 5e9);
    try {
      const { dev, seconds } = await meterFor([hwmonProbe({ root: chip.root })], 2500, 250);
      expect(dev('hwmon4/1')).toMatchObject({ status: 'measured', method: 'power' });
      expect(dev('hwmon4/1')?.reason).toMatch(/frozen/);
      expectNear(dev('hwmon4/1')?.energyJ, 65 * seconds);
    } finally {
      await chip.stop();
    }
  });

  it('a counter that goes backwards (a reset, no known range): the power readings give the joules', async () => {
    // advances at 65 W, then restarts from near zero 700 ms in (a driver reload resets it)
    const chip = cpuChip(65, (ms) => (ms < 700 ? 5e9 + 65 * ms * 1000 : 1e6 + 65 * (ms - 700) * 1000));
    try {
      const { dev, seconds } = await meterFor([hwmonProbe({ root: chip.root })], 2500, 250);
      expect(dev('hwmon4/1')).toMatchObject({ status: 'measured', method: 'power' });
      expect(dev('hwmon4/1')?.reason).toMatch(/went down/);
      expectNear(dev('hwmon4/1')?.energyJ, 65 * seconds);
    } finally {
      await chip.stop();
    }
  });
});

describe('amd-smi counters', () => {
  afterEach(() => {
    delete process.env.FAKE_AMDSMI_REPLIES;
  });
  function replay(polls: unknown[][]): void {
    const file = join(mkdtempSync(join(tmpdir(), 'eff-amdsmi-')), 'replies.json');
    writeFileSync(file, JSON.stringify(polls));
    process.env.FAKE_AMDSMI_REPLIES = file;
  }

  it('two healthy GPUs: each by its counter, not degraded; a frozen one while reading 180 W: by its power', async () => {
    replay([
      [
        { gpu: 0, watts: 200 },
        {
          gpu: 1,
          power: { socket_power: { value: 180, unit: 'W' } },
          energy: { total_energy_consumption: { value: 5000, unit: 'J' } },
        },
      ],
    ]);
    const { r, dev, seconds } = await meterFor([amdSmiProbe({ env: {} })], 3000);
    expect(dev('gpu0')).toMatchObject({ status: 'measured', method: 'counter', uncoveredMs: 0 });
    expectNear(dev('gpu0')?.energyJ, 200 * seconds);
    expect(dev('gpu1')).toMatchObject({ status: 'measured', method: 'power' });
    expect(dev('gpu1')?.reason).toMatch(/frozen/);
    expectNear(dev('gpu1')?.energyJ, 180 * seconds);
    expectNear(r.energyJ.gpu, 380 * seconds);
    expect(r.degraded).toBe(false);
  });
});

describe('a whole-node reading is the total, not a component to add', () => {
  afterEach(() => {
    delete process.env.FAKE_IPMI_WATTS;
  });
  it('ipmi (BMC at 420 W) with hwmon amdgpu (152 W): total = 420 W × t, gpu = 152 W × t kept apart', async () => {
    process.env.FAKE_IPMI_WATTS = '420';
    const root = mkdtempSync(join(tmpdir(), 'eff-hwmon-'));
    try {
      mkdirSync(join(root, 'hwmon1'));
      writeFileSync(join(root, 'hwmon1', 'name'), 'amdgpu\n');
      writeFileSync(join(root, 'hwmon1', 'power1_average'), '152000000\n');
      const { r, seconds } = await meterFor([ipmiProbe(), hwmonProbe({ root, env: {} })], 3000);
      expectNear(r.energyJ.system, 420 * seconds);
      expectNear(r.energyJ.gpu, 152 * seconds);
      expectNear(r.energyJ.total, 420 * seconds);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
