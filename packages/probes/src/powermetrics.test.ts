// powermetrics probe: the text parser (first value per block, Combined never counted, properties) and the probe
// against a strict fake powermetrics (forced to darwin): devices, root/sudo reasons, bad blocks, the minimum interval.
import { join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf } from '../test/processes.js';
import { type ProbeError, ProbeParseError, ProbePermissionError, ProbeUnavailableError } from './errors.js';
import {
  POWERMETRICS_MIN_INTERVAL_MS,
  type PowermetricsBlock,
  PowermetricsParser,
  powermetricsProbe,
} from './powermetrics.js';
import type { ProbeEvent } from './sample.js';
import type { BadLineReport } from './tolerance.js';

const fake = join(import.meta.dirname, '..', 'test', 'fake-tools', 'powermetrics-bin', 'powermetrics');
const FAKE_ENV = ['FAKE_PM_MODE', 'FAKE_PM_CPU_MW', 'FAKE_PM_GPU_MW', 'FAKE_PM_ANE_MW', 'FAKE_PM_DRAM_MW'];
afterEach(() => {
  for (const name of FAKE_ENV) delete process.env[name];
});

const mac = (extra: Parameters<typeof powermetricsProbe>[0] = {}) =>
  powermetricsProbe({ binary: fake, platform: 'darwin', ...extra });

function show(e: ProbeEvent): string {
  if (e.kind === 'device') return `${e.deviceId} ${e.state}`;
  return `${e.deviceId} ${e.component} ${e.kind === 'power' ? e.powerW : e.energyJ}`;
}

const BLOCK = [
  '*** Sampled system activity (Thu Nov 30 11:52:07 2023 +0100) (1003.52ms elapsed) ***',
  '',
  '**** Processor usage ****',
  'E-Cluster HW active frequency: 1012 MHz',
  'CPU Power: 8916 mW',
  'GPU Power: 9462 mW',
  'ANE Power: 12 mW',
  'Combined Power (CPU + GPU + ANE): 18390 mW',
  '**** GPU usage ****',
  'GPU Power: 9500 mW',
];

function feedAll(lines: readonly string[]): PowermetricsBlock[] {
  const parser = new PowermetricsParser();
  const out: PowermetricsBlock[] = [];
  for (const line of lines) {
    const b = parser.feed(line);
    if (b) out.push(b);
  }
  const last = parser.flush();
  if (last) out.push(last);
  return out;
}

describe('PowermetricsParser', () => {
  it('takes the first CPU/GPU/ANE value of a block (mW → W), ends it at Combined, never counts Combined or the GPU section', () => {
    expect(feedAll(BLOCK)).toEqual([{ powerW: { cpu: 8.916, gpu: 9.462, ane: 0.012 }, elapsedMs: 1003.52 }]);
  });
  it('without a Combined line a block ends at the next header; W values and DRAM are read', () => {
    const lines = [
      '*** Sampled system activity (x) (500.00ms elapsed) ***',
      'CPU Power: 1.5 W',
      'DRAM Power: 300 mW',
      '*** Sampled system activity (y) (500.00ms elapsed) ***',
      'CPU Power: 2 W',
    ];
    expect(feedAll(lines)).toEqual([
      { powerW: { cpu: 1.5, dram: 0.3 }, elapsedMs: 500 },
      { powerW: { cpu: 2 }, elapsedMs: 500 },
    ]);
    // power lines before the first header (a preamble) are not a sample
    expect(feedAll(['CPU Power: 5 mW'])).toEqual([]);
  });
  it('a block with a power line that is not "N mW" is a ProbeParseError when it ends (one per block)', () => {
    const parser = new PowermetricsParser();
    parser.feed(BLOCK[0] ?? '');
    expect(parser.feed('CPU Power: lots mW')).toBeNull();
    expect(parser.feed('GPU Power: ? mW')).toBeNull();
    expect(() => parser.feed('Combined Power (CPU + GPU + ANE): 1 mW')).toThrow(/"CPU Power" is "lots mW"/);
    expect(parser.feed('GPU Power: 5 mW')).toBeNull();
    parser.feed(BLOCK[0] ?? '');
    parser.feed('CPU Power: 7 mW');
    expect(parser.flush()).toEqual({ powerW: { cpu: 0.007 }, elapsedMs: 1003.52 });
  });
  it('property: arbitrary lines never throw anything but ProbeParseError; N well-formed blocks give N blocks', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (lines) => {
        const parser = new PowermetricsParser();
        for (const line of [...lines, '*** Sampled system activity (end) ***']) {
          try {
            const block = parser.feed(line);
            for (const w of Object.values(block?.powerW ?? {})) expect(w).toBeGreaterThanOrEqual(0);
          } catch (err) {
            expect(err).toBeInstanceOf(ProbeParseError);
          }
        }
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(100_000), fc.nat(100_000), fc.nat(100_000), fc.boolean()), {
          minLength: 1,
          maxLength: 20,
        }),
        (blocks) => {
          const lines = blocks.flatMap(([c, g, a, combined]) => [
            '*** Sampled system activity (d) (1000.00ms elapsed) ***',
            `CPU Power: ${c} mW`,
            `GPU Power: ${g} mW`,
            `ANE Power: ${a} mW`,
            ...(combined ? [`Combined Power (CPU + GPU + ANE): ${c + g + a} mW`] : []),
            `GPU Power: ${g + 7} mW`,
          ]);
          expect(feedAll(lines).map((b) => b.powerW)).toEqual(
            blocks.map(([c, g, a]) => ({ cpu: c / 1000, gpu: g / 1000, ane: a / 1000 })),
          );
        },
      ),
    );
  });
});

describe('powermetricsProbe against a fake powermetrics', () => {
  it('measures cpu (cpu), gpu and ane (gpu), never Combined, at the watts printed', async () => {
    process.env.FAKE_PM_CPU_MW = '5200';
    process.env.FAKE_PM_GPU_MW = '14100';
    process.env.FAKE_PM_ANE_MW = '800';
    const probe = mac();
    expect(await probe.check()).toEqual({ available: true, devices: ['cpu', 'gpu', 'ane'] });
    const events = await lastValueFrom(probe.samples({ intervalMs: 200 }).pipe(take(9), toArray()));
    expect(events.map(show)).toEqual([
      'cpu present',
      'gpu present',
      'ane present',
      'cpu cpu 5.2',
      'gpu gpu 14.1',
      'ane gpu 0.8',
      'cpu cpu 5.2',
      'gpu gpu 14.1',
      'ane gpu 0.8',
    ]);
    expect(childrenOf(process.pid)).toEqual([]);
  });
  it('reads DRAM Power as ram when this macOS prints it; without Combined lines the blocks still arrive', async () => {
    process.env.FAKE_PM_DRAM_MW = '450';
    process.env.FAKE_PM_MODE = 'nocombined';
    const events = await lastValueFrom(mac().samples({ intervalMs: 200 }).pipe(take(8), toArray()));
    expect(events.map(show)).toEqual([
      'cpu present',
      'gpu present',
      'ane present',
      'dram present',
      'cpu cpu 1.234',
      'gpu gpu 0.056',
      'ane gpu 0',
      'dram ram 0.45',
    ]);
  });
  it('without root: unavailable with a reason that says root is needed, ProbePermissionError on the stream', async () => {
    process.env.FAKE_PM_MODE = 'noroot';
    const check = await mac().check();
    expect(check.available).toBe(false);
    expect(check.reason).toMatch(
      /^powermetrics needs root \(it said: powermetrics must be invoked as the superuser\); run eff with sudo/,
    );
    const err = await firstValueFrom(mac().samples()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbePermissionError);
    expect((err as ProbeError).code).toBe('E_PROBE_PERMISSION');
  });
  it('sudo -n without a sudoers rule: the reason says sudo wants a password and how to allow it', async () => {
    process.env.FAKE_PM_MODE = 'sudopw';
    expect((await mac().check()).reason).toMatch(/sudo would ask for a password .*NOPASSWD: .*powermetrics/);
  });
  it('not macOS: unavailable without starting anything', async () => {
    const probe = powermetricsProbe({ binary: fake, platform: 'linux' });
    expect(await probe.check()).toEqual({
      available: false,
      reason: 'powermetrics: only on macOS (Apple Silicon); this is linux',
    });
    await expect(firstValueFrom(probe.samples())).rejects.toBeInstanceOf(ProbeUnavailableError);
    expect(
      (await powermetricsProbe({ platform: 'darwin', binary: '/nonexistent/powermetrics' }).check()).reason,
    ).toMatch(/not found \(it ships with macOS in \/usr\/bin\)/);
  });
  it('a GPU selection other than 0 (--gpus 1 on a Mac) is refused, not silently ignored; 0 is measured', async () => {
    const refused = await mac({ gpus: ['1'] }).check();
    expect(refused).toEqual({
      available: false,
      reason: 'powermetrics: the GPU selection names "1", but an Apple Silicon Mac has one GPU (0)',
      selectedBy: 'option',
    });
    await expect(firstValueFrom(mac({ gpus: ['1'] }).samples())).rejects.toBeInstanceOf(
      ProbeUnavailableError,
    );
    expect((await mac({ gpus: [0] }).check()).available).toBe(true);
  });
  it('unparseable blocks: skipped and reported, four in a row end the stream with ProbeParseError', async () => {
    process.env.FAKE_PM_MODE = 'garbage';
    const bad: BadLineReport[] = [];
    const err = await lastValueFrom(mac().samples({ intervalMs: 100, onBadLine: (b) => bad.push(b) })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProbeParseError);
    expect(bad.map((b) => b.consecutive)).toEqual([1, 2, 3, 4]);
  });
  it('raises a shorter interval to the minimum (the fake prints at the -i it is given)', async () => {
    const probe = mac();
    expect(probe.minIntervalMs).toBe(POWERMETRICS_MIN_INTERVAL_MS);
    const events = await lastValueFrom(probe.samples({ intervalMs: 5 }).pipe(take(3 + 3 * 3), toArray()));
    const t = events.filter((e) => e.kind === 'power' && e.deviceId === 'cpu').map((e) => e.tMs);
    expect(t).toHaveLength(3);
    for (let i = 1; i < t.length; i++) {
      expect((t[i] ?? 0) - (t[i - 1] ?? 0)).toBeGreaterThan(POWERMETRICS_MIN_INTERVAL_MS - 30);
    }
  });
});
