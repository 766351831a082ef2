// AMD (rocm-smi) and RAPL faults end to end: the real probes, fakes only at the boundary (a fake rocm-smi first on
// PATH, fake powercap trees), the real meter: right joules within a stated tolerance and the right flags.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Probe, raplProbe, rocmSmiProbe } from '@eff/probes';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startMeter } from './meter.js';

// The probes package's fake rocm-smi (strict flags, one JSON reply per poll from FAKE_ROCM_REPLIES).
const FAKE_ROCM = fileURLToPath(new URL('../../probes/test/fixtures/bin/rocm-smi', import.meta.url));
const binDir = mkdtempSync(join(tmpdir(), 'eff-amd-bin-'));
symlinkSync(FAKE_ROCM, join(binDir, 'rocm-smi'));
const savedPath = process.env.PATH;
process.env.PATH = `${binDir}${delimiter}${savedPath ?? ''}`;
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(binDir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env.FAKE_ROCM_REPLIES;
});

/** Energies are right within 5 % of power × the measured window (the fake's counter runs on the wall clock). */
const TOLERANCE = 0.05;
const P = 'Average Graphics Package Power (W)';

function replay(replies: unknown[]): void {
  const file = join(mkdtempSync(join(tmpdir(), 'eff-amd-')), 'replies.json');
  writeFileSync(file, JSON.stringify(replies));
  process.env.FAKE_ROCM_REPLIES = file;
}

/**
 * Meters `probe` from the moment every device has a sample for `holdMs` (the "command"), then waits for coverage
 * and reads that window, as measureEfficiency does around a training run.
 */
async function meterFor(probe: Probe, holdMs: number, intervalMs = 1000, during?: () => Promise<void>) {
  const m = startMeter([probe], { intervalMs });
  try {
    const a = await m.waitFirstSamples(20_000);
    if (a === null) throw new Error('no first samples');
    await (during ? Promise.all([during(), sleep(holdMs)]) : sleep(holdMs));
    const b = a + holdMs;
    await m.waitCovered(b, 20_000);
    const r = m.energyBetween(a, b);
    const probeReport = r.probes[0];
    if (!probeReport) throw new Error('no probe report');
    const dev = (id: string) => probeReport.deviceReports.find((d) => d.deviceId === id);
    return { r, probe: probeReport, dev, seconds: (b - a) / 1000 };
  } finally {
    await m.stop();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Within TOLERANCE of `expected`, plus `slackJ` the fake itself can be off by (a late writer, see tree()). */
function expectNear(actual: number | undefined, expected: number, slackJ = 0): void {
  expect(actual).toBeDefined();
  expect(Math.abs((actual ?? 0) - expected)).toBeLessThanOrEqual(TOLERANCE * expected + slackJ);
}

describe('AMD GPUs through rocm-smi', () => {
  it('a card without a power sensor is unsupported; the healthy card keeps its joules (counter), not degraded', async () => {
    replay([{ card0: { [P]: '200.0', __watts: '200' }, card1: { [P]: 'N/A' } }]);
    const { r, dev, seconds } = await meterFor(rocmSmiProbe(), 3000);
    expectNear(dev('card0')?.energyJ, 200 * seconds);
    expect(dev('card0')).toMatchObject({ status: 'measured', method: 'counter', uncoveredMs: 0 });
    expect(dev('card1')).toMatchObject({ status: 'unsupported', energyJ: 0 });
    expect(dev('card1')?.reason).toMatch(/N\/A/);
    expectNear(r.energyJ.gpu, 200 * seconds);
    expect(r.degraded).toBe(false);
  });

  it('a frozen energy counter while the card reads 152 W: the power readings give the joules (method power)', async () => {
    replay([
      { card0: { [P]: '152.0', 'Energy counter': '5310442', 'Accumulated Energy (uJ)': '81249762.6' } },
    ]);
    const { r, dev, seconds } = await meterFor(rocmSmiProbe(), 3000);
    expectNear(dev('card0')?.energyJ, 152 * seconds);
    expect(dev('card0')).toMatchObject({ status: 'measured', method: 'power' });
    expect(dev('card0')?.reason).toMatch(/frozen/);
    expectNear(r.energyJ.gpu, 152 * seconds);
  });

  it('a card that drops out of the listing is lost (degraded, its uncovered time given); the other is measured', async () => {
    const both = { card0: { [P]: '100.0', __watts: '100' }, card1: { [P]: '50.0', __watts: '50' } };
    replay([both, both, { card0: { [P]: '100.0', __watts: '100' } }]);
    const { r, dev, seconds } = await meterFor(rocmSmiProbe(), 3000);
    expectNear(dev('card0')?.energyJ, 100 * seconds);
    expect(dev('card0')).toMatchObject({ status: 'measured', uncoveredMs: 0 });
    expect(dev('card1')).toMatchObject({ status: 'lost' });
    expect(dev('card1')?.uncoveredMs).toBeGreaterThan(0);
    expect(dev('card1')?.reason).toMatch(/missing from rocm-smi's output/);
    expect(r.degraded).toBe(true);
  });

  it("eff's 100 ms default is raised to rocm-smi's measured 1000 ms: samples and joules, a note, never 0 J", async () => {
    replay([{ card0: { [P]: '250.0', __watts: '250' } }]);
    const { r, probe, seconds } = await meterFor(rocmSmiProbe(), 2000, 100);
    expect(probe.intervalMs).toBe(1000);
    expect(probe.notes.join('\n')).toMatch(/interval raised from 100 ms to 1000 ms/);
    expect(probe.sampleCount).toBeGreaterThan(0);
    expectNear(r.energyJ.gpu, 250 * seconds);
  });

  it('ROCR_VISIBLE_DEVICES=1: only card1 is charged to the job, selectedBy recorded', async () => {
    replay([{ card0: { [P]: '310.0', __watts: '310' }, card1: { [P]: '140.0', __watts: '140' } }]);
    const { r, probe, dev, seconds } = await meterFor(
      rocmSmiProbe({ env: { ROCR_VISIBLE_DEVICES: '1' } }),
      2000,
    );
    expect(probe.deviceReports.map((d) => d.deviceId)).toEqual(['card1']);
    expect(dev('card1')?.selectedBy).toBe('ROCR_VISIBLE_DEVICES');
    expectNear(r.energyJ.gpu, 140 * seconds);
  });
});

describe('RAPL domains through sysfs', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  /** A powercap tree whose package counter advances at `packageW` on the wall clock while `run` lasts. */
  function tree(packageW: number, dram: string | null) {
    const root = mkdtempSync(join(tmpdir(), 'eff-rapl-'));
    roots.push(root);
    const pkg = join(root, 'intel-rapl:0');
    mkdirSync(pkg);
    writeFileSync(join(pkg, 'name'), 'package-0\n');
    writeFileSync(join(pkg, 'max_energy_range_uj'), '262143328850\n');
    writeFileSync(join(pkg, 'constraint_0_max_power_uw'), '125000000\n');
    writeFileSync(join(pkg, 'energy_uj'), '1000000\n');
    const dramDir = join(pkg, 'intel-rapl:0:0');
    if (dram !== null) {
      mkdirSync(dramDir);
      writeFileSync(join(dramDir, 'name'), 'dram\n');
      writeFileSync(join(dramDir, 'energy_uj'), dram);
    }
    const t0 = Date.now();
    // One write at a time (an atomic replace, as the kernel's file never reads half-written); stop() waits for the
    // last one, so no write lands in a tree the test has already removed.
    let pending: Promise<void> = Promise.resolve();
    // The counter is only as fresh as its last write: on a loaded machine this timer runs late, and a window's end
    // read between two writes misses up to packageW × the gap. That gap is measured, so the tolerance can allow it.
    let lastWriteMs = t0;
    let maxWriteGapMs = 0;
    const timer = setInterval(() => {
      const now = Date.now();
      maxWriteGapMs = Math.max(maxWriteGapMs, now - lastWriteMs);
      lastWriteMs = now;
      const uj = 1_000_000 + Math.round(packageW * (now - t0) * 1000);
      pending = pending.then(async () => {
        await writeFile(join(pkg, 'energy_uj.new'), `${uj}\n`);
        await rename(join(pkg, 'energy_uj.new'), join(pkg, 'energy_uj'));
      });
    }, 5);
    const stop = async () => {
      clearInterval(timer);
      await pending;
    };
    /** J the fake's counter can lag at the window's two ends: packageW × the longest gap between writes, twice. */
    const staleJ = () => (2 * packageW * maxWriteGapMs) / 1000;
    return { root, dramDir, stop, staleJ };
  }

  it('an unparsable dram counter is unsupported; the package keeps its joules from the counter', async () => {
    const t = tree(40, 'garbage\n');
    try {
      const { r, dev, seconds } = await meterFor(raplProbe({ root: t.root }), 2000, 100);
      expectNear(dev('intel-rapl:0')?.energyJ, 40 * seconds, t.staleJ());
      expect(dev('intel-rapl:0')).toMatchObject({ status: 'measured', method: 'counter', uncoveredMs: 0 });
      expect(dev('intel-rapl:0:0')).toMatchObject({ status: 'unsupported', energyJ: 0 });
      expect(dev('intel-rapl:0:0')?.reason).toMatch(/--probe estimate/);
      expectNear(r.energyJ.cpu, 40 * seconds, t.staleJ());
      expect(r.degraded).toBe(false);
    } finally {
      await t.stop();
    }
  });

  it('a dram domain that vanishes mid-run is lost (degraded); the package is measured in full', async () => {
    const t = tree(40, '500000\n');
    try {
      const { r, dev, seconds } = await meterFor(raplProbe({ root: t.root }), 2000, 100, async () => {
        await sleep(700);
        await rm(t.dramDir, { recursive: true, force: true });
      });
      expectNear(dev('intel-rapl:0')?.energyJ, 40 * seconds, t.staleJ());
      expect(dev('intel-rapl:0')).toMatchObject({ status: 'measured', uncoveredMs: 0 });
      expect(dev('intel-rapl:0:0')).toMatchObject({ status: 'lost' });
      expect(dev('intel-rapl:0:0')?.uncoveredMs).toBeGreaterThan(1000);
      expect(r.degraded).toBe(true);
    } finally {
      await t.stop();
    }
  });
});
