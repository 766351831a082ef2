// nvidia-smi probe: parsers (examples and properties), per-GPU fault isolation and GPU selection against the strict fake.
import { readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import fc from 'fast-check';
import {
  firstValueFrom,
  from,
  lastValueFrom,
  type Observable,
  take,
  takeUntil,
  takeWhile,
  tap,
  timer,
  toArray,
} from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, gone } from '../test/processes.js';
import { DeviceTracker, NoMeasurableDeviceError } from './device-state.js';
import { ProbeError, type ProbeExitedError, ProbeParseError } from './errors.js';
import { GpuSelectionError } from './gpu-selection.js';
import {
  type NvidiaSmiGpu,
  nvidiaSmiEvents,
  nvidiaSmiProbe,
  parseNvidiaSmiDeviceError,
  parseNvidiaSmiLine,
  parseNvidiaSmiListLine,
  parseNvidiaSmiMigList,
} from './nvidia-smi.js';
import type { DeviceEvent, PowerReading, ProbeEvent } from './sample.js';
import type { BadLineReport } from './tolerance.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const fakeBin = join(fixtures, 'bin', 'nvidia-smi');
// The fake is found the way users' tools are, by name, first on PATH.
process.env.PATH = `${dirname(fakeBin)}${delimiter}${process.env.PATH ?? ''}`;
const UUID0 = 'GPU-3f2c6e4a-1b2d-4c5e-8f90-a1b2c3d4e5f6';
const UUID1 = 'GPU-9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d';

afterEach(() => {
  delete process.env.FAKE_NVSMI_MODE;
  delete process.env.FAKE_NVSMI_MACHINE;
});

/** A two-GPU machine for the fake: gpu0's readings as given, gpu1 steady at 95.5 W. */
function machine(gpu0: unknown[], gpu1: unknown[] = [95.5]): void {
  process.env.FAKE_NVSMI_MACHINE = JSON.stringify({
    gpus: [
      { uuid: UUID0, power: gpu0 },
      { uuid: UUID1, power: gpu1 },
    ],
  });
}

const watts = (events: ProbeEvent[], deviceId: string): number[] =>
  events.filter((e): e is PowerReading => e.kind === 'power' && e.deviceId === deviceId).map((e) => e.powerW);
const states = (events: ProbeEvent[], deviceId: string): string[] =>
  events.filter((e): e is DeviceEvent => e.kind === 'device' && e.deviceId === deviceId).map((e) => e.state);
const device = (events: ProbeEvent[], deviceId: string, state: string): DeviceEvent | undefined =>
  events.find((e): e is DeviceEvent => e.kind === 'device' && e.deviceId === deviceId && e.state === state);

/** Events until `stop` says so (inclusive), or `max` events, or `withinMs` (then the caller's assertions fail). */
function until(
  events$: Observable<ProbeEvent>,
  stop: (seen: ProbeEvent[]) => boolean,
  max = 400,
  withinMs = 8000,
) {
  const seen: ProbeEvent[] = [];
  return lastValueFrom(
    events$.pipe(
      takeWhile((e) => {
        seen.push(e);
        return !stop(seen);
      }, true),
      take(max),
      takeUntil(timer(withinMs)),
      toArray(),
    ),
  );
}

describe('parseNvidiaSmiLine', () => {
  it('parses the fixture lines', () => {
    const lines = readFileSync(join(fixtures, 'nvidia-smi-query.csv'), 'utf8').trim().split('\n');
    expect(lines.map(parseNvidiaSmiLine).map((r) => [r.index, r.powerW, r.status])).toEqual([
      [0, 71.23, 'ok'],
      [1, 254.8, 'ok'],
      [0, 72.05, 'ok'],
      [1, 249.1, 'ok'],
    ]);
  });
  it('a power printed with its unit (`100.00 W`, as without nounits) is read as watts', () => {
    expect(parseNvidiaSmiLine('0, GPU-x, 100.00 W')).toMatchObject({ powerW: 100, status: 'ok' });
    expect(parseNvidiaSmiListLine(`0, ${UUID0}, 00000000:01:00.0, 300.00 W, Tesla T4`).powerLimitW).toBe(300);
    expect(
      parseNvidiaSmiListLine(`0, ${UUID0}, 00000000:01:00.0, 300.00 kW, Tesla T4`).powerLimitW,
    ).toBeUndefined();
  });
  it('[N/A] and [Not Supported] are unsupported; errors and non-numbers are bad; never a number', () => {
    for (const v of ['[N/A]', '[Not Supported]']) {
      expect(parseNvidiaSmiLine(`0, GPU-x, ${v}`)).toMatchObject({
        powerW: null,
        status: 'unsupported',
        value: v,
      });
    }
    for (const v of [
      '[Unknown Error]',
      '[GPU is lost]',
      '[Requires Pro Driver]',
      '12 kW',
      '12 mW',
      '12W',
      '12 W W',
      'W',
      '7#.1',
      '-3',
      '',
      '9'.repeat(400),
    ]) {
      expect(parseNvidiaSmiLine(`1, GPU-y, ${v}`)).toMatchObject({ index: 1, powerW: null, status: 'bad' });
    }
  });
  it('rejects what is not a row with ProbeParseError', () => {
    for (const line of ['No devices were found', '0, GPU-x', 'x, GPU-x, 12.0', '0, , 12.0', '0, a, b, c']) {
      expect(() => parseNvidiaSmiLine(line), line).toThrow(ProbeParseError);
    }
  });
  it('property: any text is a row (a finite non-negative power, or null with a reason) or a ProbeParseError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^[0-9], ?[A-Z-]{0,5}, ?[0-9.A-Z[\] /]{0,8}$/),
          // numbers too long for a double
          fc.stringMatching(/^[0-9], GPU-x, [0-9]{300,400}(\.[0-9]{1,3})?$/),
        ),
        (s) => {
          try {
            const row = parseNvidiaSmiLine(s);
            if (row.status === 'ok')
              expect(Number.isFinite(row.powerW) && (row.powerW ?? -1) >= 0).toBe(true);
            else expect(row.powerW).toBeNull();
          } catch (err) {
            expect(err).toBeInstanceOf(ProbeParseError);
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
  it('property: N well-formed rows give N readings with their indices and watts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 100_000 })), {
          minLength: 1,
          maxLength: 16,
        }),
        (gpus) => {
          const rows = gpus.map(([i, centiW]) => `${i}, GPU-${i}, ${(centiW / 100).toFixed(2)}`);
          const parsed = rows.map(parseNvidiaSmiLine);
          expect(parsed.map((r) => [r.index, r.powerW])).toEqual(gpus.map(([i, c]) => [i, c / 100]));
        },
      ),
    );
  });
});

describe('parseNvidiaSmiDeviceError and parseNvidiaSmiListLine', () => {
  it("reads nvidia-smi's unreachable-GPU line, with a bus id or an index", () => {
    expect(
      parseNvidiaSmiDeviceError(
        'Unable to determine the device handle for GPU0000:3B:00.0: GPU is lost.  Reboot the system to recover this GPU',
      ),
    ).toEqual({ gpu: '0000:3B:00.0', error: 'GPU is lost.  Reboot the system to recover this GPU' });
    expect(
      parseNvidiaSmiDeviceError('Unable to detect the device handle for GPU00000000:B1:00.0: Unknown Error'),
    ).toEqual({ gpu: '00000000:B1:00.0', error: 'Unknown Error' });
    expect(
      parseNvidiaSmiDeviceError('Unable to determine the device handle for GPU1: GPU is lost')?.gpu,
    ).toBe('1');
    expect(parseNvidiaSmiDeviceError('0, GPU-x, 12.00')).toBeUndefined();
  });
  it('lists GPUs with bus id, power limit and a name that may hold commas', () => {
    expect(parseNvidiaSmiListLine(`1, ${UUID1}, 00000000:3C:00.0, 400.00, NVIDIA A100-SXM4-40GB`)).toEqual({
      index: 1,
      uuid: UUID1,
      deviceId: 'gpu1',
      busId: '00000000:3C:00.0',
      powerLimitW: 400,
      name: 'NVIDIA A100-SXM4-40GB',
    });
    const noLimit = parseNvidiaSmiListLine(`0, ${UUID0}, 00000000:01:00.0, [N/A], Quadro P400, rev. 2`);
    expect(noLimit.powerLimitW).toBeUndefined();
    expect(noLimit.name).toBe('Quadro P400, rev. 2');
    // the loop's 3-field row is not a list line (a wrapper that ignores the query)
    expect(() => parseNvidiaSmiListLine(`0, ${UUID0}, 310.00`)).toThrow(ProbeParseError);
  });
  it("reads each GPU's MIG instances from nvidia-smi -L", () => {
    const text = [
      `GPU 0: NVIDIA A100-SXM4-40GB (UUID: ${UUID0})`,
      '  MIG 1g.5gb      Device  0: (UUID: MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f)',
      '  MIG 2g.10gb     Device  1: (UUID: MIG-0a1b2c3d-42e4-5de3-91c7-45d71c87eb3f)',
      `GPU 1: NVIDIA A100-SXM4-40GB (UUID: ${UUID1})`,
      'GPU 2: Tesla T4 (UUID: GPU-x)',
      '  MIG 1g.5gb      Device  0: (UUID: MIG-ffff0000-42e4-5de3-91c7-45d71c87eb3f)',
    ].join('\n');
    expect([...parseNvidiaSmiMigList(text)]).toEqual([
      [0, ['MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f', 'MIG-0a1b2c3d-42e4-5de3-91c7-45d71c87eb3f']],
      [2, ['MIG-ffff0000-42e4-5de3-91c7-45d71c87eb3f']],
    ]);
    expect(parseNvidiaSmiMigList('No devices were found').size).toBe(0);
  });

  it('property: any text is a listed GPU or a ProbeParseError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^[0-9], ?GPU-[a-f]{0,3}, ?[0-9A-F:.]{0,6}, ?[0-9.N/A[\]]{0,6}, ?.{0,6}$/),
        ),
        (s) => {
          try {
            const gpu = parseNvidiaSmiListLine(s);
            expect(gpu.deviceId).toBe(`gpu${gpu.index}`);
            if (gpu.powerLimitW !== undefined) expect(gpu.powerLimitW).toBeGreaterThanOrEqual(0);
          } catch (err) {
            expect(err).toBeInstanceOf(ProbeParseError);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

describe('nvidiaSmiEvents (the loop output -> readings and device events, no process)', () => {
  const gpusOf = (n: number): NvidiaSmiGpu[] =>
    Array.from({ length: n }, (_, i) => ({
      index: i,
      deviceId: `gpu${i}`,
      uuid: `GPU-${i}`,
      busId: `00000000:0${i}:00.0`,
    }));
  const trackerOf = (gpus: NvidiaSmiGpu[]) =>
    new DeviceTracker(
      'nvidia-smi',
      'gpu',
      'all',
      gpus.map((g) => ({ deviceId: g.deviceId, label: `GPU ${g.index}` })),
      { lostAfterBadReadings: 3, lostAfterSilentMs: 500 },
    );
  const run = (lines: string[], gpus: NvidiaSmiGpu[]) => {
    let t = 0;
    const tracker = trackerOf(gpus);
    return lastValueFrom(
      from(lines).pipe(
        nvidiaSmiEvents(tracker, gpus, 'power.draw', { maxConsecutiveBadLines: 3 }, () => (t += 10)),
        toArray(),
      ),
    );
  };

  it('property: arbitrary output never escapes the stream as anything but a ProbeError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.constantFrom(
              '0, GPU-0, [N/A]',
              '1, GPU-1, [Unknown Error]',
              '0, GPU-0, 12.5',
              '1, GPU-1, 7#.1',
            ),
            fc.constant('Unable to determine the device handle for GPU00000000:01:00.0: GPU is lost'),
          ),
          { maxLength: 30 },
        ),
        async (lines) => {
          try {
            const events = await run(lines, gpusOf(2));
            for (const e of events) {
              if (e.kind === 'power') expect(Number.isFinite(e.powerW) && e.powerW >= 0).toBe(true);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(ProbeError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: R readings of N GPUs give R x N power samples, each GPU its own watts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 50_000 }),
        async (n, readings, centiW) => {
          const lines = Array.from({ length: readings }, () =>
            Array.from({ length: n }, (_, i) => `${i}, GPU-${i}, ${((centiW + i) / 100).toFixed(2)}`),
          ).flat();
          const events = await run(lines, gpusOf(n));
          expect(events.filter((e) => e.kind === 'power')).toHaveLength(n * readings);
          for (let i = 0; i < n; i++)
            expect(new Set(watts(events, `gpu${i}`))).toEqual(new Set([(centiW + i) / 100]));
          // the GPUs are announced once, with the first row, and nothing else happens to them
          const announced = events.filter((e): e is DeviceEvent => e.kind === 'device');
          expect(announced.map((e) => [e.deviceId, e.state])).toEqual(
            gpusOf(n).map((g) => [g.deviceId, 'present']),
          );
          expect(events.slice(0, n)).toEqual(announced);
        },
      ),
    );
  });

  it('the GPUs are announced with the first row, not before it; a garbage first line does not lose them', async () => {
    const events = await run(['NVIDIA-SMI has failed', '1, GPU-1, 20.00', '0, GPU-0, 10.00'], gpusOf(2));
    expect(
      events.map((e) =>
        e.kind === 'device'
          ? `${e.deviceId}:${e.state}`
          : `${e.deviceId}=${e.kind === 'power' ? e.powerW : ''}`,
      ),
    ).toEqual(['gpu0:present', 'gpu1:present', 'gpu1=20', 'gpu0=10']);
    // the clock gives 10, 20, 30: announced at the first row's time, not the garbage line's
    expect(events[0]?.tMs).toBe(20);
  });

  it('a row of a GPU the probe was not asked for is ignored', async () => {
    const events = await run(['0, GPU-0, 10.00', '5, GPU-5, 99.00'], gpusOf(1));
    expect(watts(events, 'gpu0')).toEqual([10]);
    expect(events.map((e) => e.deviceId)).toEqual(['gpu0', 'gpu0']);
  });

  it('every GPU unsupported: the unsupported events, then NoMeasurableDeviceError naming each', async () => {
    const seen: ProbeEvent[] = [];
    const tracker = trackerOf(gpusOf(2));
    const err = await new Promise<unknown>((resolve) => {
      from(['0, GPU-0, [N/A]', '1, GPU-1, [Not Supported]'])
        .pipe(nvidiaSmiEvents(tracker, gpusOf(2), 'power.draw'))
        .subscribe({ next: (e) => seen.push(e), error: resolve, complete: () => resolve(undefined) });
    });
    expect(seen.map((e) => (e.kind === 'device' ? `${e.deviceId}:${e.state}` : e.kind))).toEqual([
      'gpu0:present',
      'gpu1:present',
      'gpu0:unsupported',
      'gpu1:unsupported',
    ]);
    expect(err).toBeInstanceOf(NoMeasurableDeviceError);
    expect((err as NoMeasurableDeviceError).code).toBe('E_PROBE_UNAVAILABLE');
    expect((err as NoMeasurableDeviceError).devices.map((d) => d.deviceId)).toEqual(['gpu0', 'gpu1']);
    expect((err as Error).message).toMatch(
      /GPU 0 \(GPU-0\) as \[N\/A\].*GPU 1 \(GPU-1\) as \[Not Supported\]/,
    );
  });
});

describe('nvidiaSmiProbe (strict fake nvidia-smi first on PATH)', () => {
  it('announces each GPU (uuid, power limit, selectedBy), streams its watts, kills the child on unsubscribe', async () => {
    let pid = 0;
    const probe = nvidiaSmiProbe({ onSpawn: (c) => (pid = c.pid ?? 0), env: {} });
    expect(probe.minIntervalMs).toBe(20);
    expect(await probe.check()).toEqual({
      available: true,
      devices: ['gpu0', 'gpu1'],
      unmeasurable: [],
      selectedBy: 'all',
    });
    const got = await lastValueFrom(probe.samples({ intervalMs: 30 }).pipe(take(6), toArray()));
    expect(got.slice(0, 2)).toEqual([
      expect.objectContaining({
        kind: 'device',
        deviceId: 'gpu0',
        state: 'present',
        uuid: UUID0,
        powerLimitW: 400,
        selectedBy: 'all',
      }),
      expect.objectContaining({
        kind: 'device',
        deviceId: 'gpu1',
        state: 'present',
        uuid: UUID1,
        powerLimitW: 400,
        selectedBy: 'all',
      }),
    ]);
    expect(got.slice(2).map((s) => [s.deviceId, s.kind === 'power' ? s.powerW : -1])).toEqual([
      ['gpu0', 71.23],
      ['gpu1', 254.8],
      ['gpu0', 71.23],
      ['gpu1', 254.8],
    ]);
    expect(got.every((s) => s.source === 'nvidia-smi' && s.component === 'gpu')).toBe(true);
    expect(got.slice(2).every((s) => s.kind === 'power' && !s.estimated)).toBe(true);
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });

  describe('per-GPU faults: the other GPU keeps its exact readings', () => {
    it('[N/A] from the start: GPU 0 unsupported (named, with what to do), no sample; GPU 1 measured', async () => {
      machine(['[N/A]']);
      const probe = nvidiaSmiProbe({ env: {} });
      const check = await probe.check();
      expect(check.available).toBe(true);
      expect(check.devices).toEqual(['gpu1']);
      expect(check.unmeasurable).toEqual([
        {
          deviceId: 'gpu0',
          reason: expect.stringMatching(/^GPU 0 \(GPU-3f2c.*\) reports power.draw as \[N\/A\]/),
        },
      ]);
      const got = await until(probe.samples({ intervalMs: 30 }), (seen) => watts(seen, 'gpu1').length >= 4);
      expect(states(got, 'gpu0')).toEqual(['present', 'unsupported']);
      expect(device(got, 'gpu0', 'unsupported')?.reason).toMatch(
        /power.draw.instant of GPU 0 \(GPU-3f2c.*\) as \[N\/A\].*--gpus or CUDA_VISIBLE_DEVICES/,
      );
      expect(watts(got, 'gpu0')).toEqual([]);
      expect(watts(got, 'gpu1')).toEqual([95.5, 95.5, 95.5, 95.5]);
    });

    for (const value of ['[Unknown Error]', '[GPU is lost]', '[Requires Pro Driver]', '7#.1', '12 kW']) {
      it(`one ${value} reading: a bad-reading for that reading only, then GPU 0 reads on`, async () => {
        machine([50, value, 51]);
        const got = await until(
          nvidiaSmiProbe({ env: {} }).samples({ intervalMs: 30 }),
          (seen) => watts(seen, 'gpu0').length >= 3,
        );
        expect(states(got, 'gpu0')).toEqual(['present', 'bad-reading']);
        expect(device(got, 'gpu0', 'bad-reading')?.reason).toContain(JSON.stringify(value));
        expect(watts(got, 'gpu0')).toEqual([50, 51, 51]);
        expect(watts(got, 'gpu1').slice(0, 3)).toEqual([95.5, 95.5, 95.5]);
      });
    }

    it('a GPU that keeps failing is lost after 3 bad readings; GPU 1 is measured throughout', async () => {
      machine([60, '[Unknown Error]']);
      const got = await until(
        nvidiaSmiProbe({ env: {} }).samples({ intervalMs: 30 }),
        (seen) => watts(seen, 'gpu1').length >= 8,
      );
      expect(states(got, 'gpu0')).toEqual(['present', 'bad-reading', 'bad-reading', 'bad-reading', 'lost']);
      expect(device(got, 'gpu0', 'lost')?.reason).toMatch(/3 unusable readings in a row/);
      expect(watts(got, 'gpu0')).toEqual([60]);
      expect(watts(got, 'gpu1')).toEqual(Array(8).fill(95.5));
    });

    it('"Unable to determine the device handle ... GPU is lost": lost at once; its readings coming back resume it', async () => {
      machine([70, 70, { lost: true }, { lost: true }, 72]);
      const got = await until(
        nvidiaSmiProbe({ env: {} }).samples({ intervalMs: 30 }),
        (seen) => watts(seen, 'gpu0').length >= 4,
      );
      expect(states(got, 'gpu0')).toEqual(['present', 'lost']);
      expect(device(got, 'gpu0', 'lost')?.reason).toMatch(
        /Unable to determine the device handle for GPU00000000:3B:00.0: GPU is lost/,
      );
      expect(watts(got, 'gpu0')).toEqual([70, 70, 72, 72]);
      // the lost event sits between the last reading before and the first after
      const order = got
        .filter((e) => e.deviceId === 'gpu0')
        .map((e) => (e.kind === 'device' ? e.state : e.kind));
      expect(order).toEqual(['present', 'power', 'power', 'lost', 'power', 'power']);
      expect(watts(got, 'gpu1').length).toBeGreaterThanOrEqual(4);
      expect(new Set(watts(got, 'gpu1'))).toEqual(new Set([95.5]));
    });

    it('a GPU whose rows stop (dropped out of the list) is lost after 3 intervals of silence (>= 500 ms)', async () => {
      machine([80, 80, { gone: true }]);
      const got = await until(nvidiaSmiProbe({ env: {} }).samples({ intervalMs: 30 }), (seen) =>
        states(seen, 'gpu0').includes('lost'),
      );
      const lost = device(got, 'gpu0', 'lost');
      expect(lost?.reason).toMatch(/stopped printing GPU 0 .*dropped out/);
      expect(watts(got, 'gpu0')).toEqual([80, 80]);
      const lastGpu0 = got.filter((e) => e.kind === 'power' && e.deviceId === 'gpu0').pop();
      expect((lost?.tMs ?? 0) - (lastGpu0?.tMs ?? 0)).toBeGreaterThanOrEqual(500);
      // GPU 1 went on reading while GPU 0 was silent: ~17 readings in 500 ms at 30 ms on an idle machine
      expect(watts(got, 'gpu1').length).toBeGreaterThanOrEqual(6);
    });

    it('every GPU without a sensor: the probe fails as a whole, naming each GPU and its reason', async () => {
      process.env.FAKE_NVSMI_MODE = 'na';
      const probe = nvidiaSmiProbe({ env: {} });
      const check = await probe.check();
      expect(check.available).toBe(false);
      expect(check.reason).toMatch(
        /none of the selected GPUs can be measured: GPU 0 .*\[N\/A\].*; GPU 1 .*\[N\/A\]/,
      );
      const err = await lastValueFrom(probe.samples({ intervalMs: 30 }).pipe(toArray())).catch((e) => e);
      expect(err).toBeInstanceOf(NoMeasurableDeviceError);
      expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
      expect((err as NoMeasurableDeviceError).devices.map((d) => d.deviceId)).toEqual(['gpu0', 'gpu1']);
    });
  });

  describe('GPU selection', () => {
    const quad = () => {
      process.env.FAKE_NVSMI_MACHINE = JSON.stringify({
        gpus: [10, 11, 12, 13].map((w, i) => ({
          uuid: `GPU-${i}${i}${i}00000-0000-4000-8000-000000000000`,
          power: [w],
        })),
      });
    };
    const cases: Array<[string, { gpus?: (number | string)[]; env: NodeJS.ProcessEnv }, string, number[]]> = [
      ['CUDA_VISIBLE_DEVICES (index)', { env: { CUDA_VISIBLE_DEVICES: '1' } }, 'CUDA_VISIBLE_DEVICES', [1]],
      [
        'CUDA_VISIBLE_DEVICES (UUID prefix)',
        { env: { CUDA_VISIBLE_DEVICES: 'GPU-333,GPU-000' } },
        'CUDA_VISIBLE_DEVICES',
        [0, 3],
      ],
      ['NVIDIA_VISIBLE_DEVICES', { env: { NVIDIA_VISIBLE_DEVICES: '2' } }, 'NVIDIA_VISIBLE_DEVICES', [2]],
      ['SLURM_JOB_GPUS', { env: { SLURM_JOB_GPUS: '0,3' } }, 'SLURM_JOB_GPUS', [0, 3]],
      ['GPU_DEVICE_ORDINAL', { env: { GPU_DEVICE_ORDINAL: '2' } }, 'GPU_DEVICE_ORDINAL', [2]],
      ['SLURM_STEP_GPUS', { env: { SLURM_STEP_GPUS: '1' } }, 'SLURM_STEP_GPUS', [1]],
      [
        'CUDA over NVIDIA over SLURM',
        { env: { CUDA_VISIBLE_DEVICES: '3', NVIDIA_VISIBLE_DEVICES: '2', SLURM_JOB_GPUS: '1' } },
        'CUDA_VISIBLE_DEVICES',
        [3],
      ],
      [
        'the gpus option over every variable',
        { gpus: [2, 'GPU-000'], env: { CUDA_VISIBLE_DEVICES: '3' } },
        'option',
        [0, 2],
      ],
      ['nothing set: all', { env: {} }, 'all', [0, 1, 2, 3]],
    ];
    for (const [what, options, selectedBy, expected] of cases) {
      it(`${what}: reads GPUs ${expected.join(', ')} only, selectedBy ${selectedBy}`, async () => {
        quad();
        const probe = nvidiaSmiProbe(options);
        const check = await probe.check();
        expect(check).toMatchObject({ available: true, selectedBy, devices: expected.map((i) => `gpu${i}`) });
        const got = await lastValueFrom(
          probe.samples({ intervalMs: 30 }).pipe(take(expected.length * 3), toArray()),
        );
        const present = got.filter((e): e is DeviceEvent => e.kind === 'device' && e.state === 'present');
        expect(present.map((e) => [e.deviceId, e.selectedBy])).toEqual(
          expected.map((i) => [`gpu${i}`, selectedBy]),
        );
        // each GPU's own watts (10 + index): only the selected GPUs were read
        const readings = got.filter((e): e is PowerReading => e.kind === 'power');
        expect(new Set(readings.map((e) => `${e.deviceId}=${e.powerW}`))).toEqual(
          new Set(expected.map((i) => `gpu${i}=${10 + i}`)),
        );
      });
    }

    it('a MIG UUID in CUDA_VISIBLE_DEVICES selects its GPU (found with -L), and the present event says why', async () => {
      const mig = 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f';
      process.env.FAKE_NVSMI_MACHINE = JSON.stringify({
        gpus: [
          { uuid: UUID0, power: [30] },
          { uuid: UUID1, power: [40], migs: ['MIG-0a1b2c3d-42e4-5de3-91c7-45d71c87eb3f', mig] },
        ],
      });
      const probe = nvidiaSmiProbe({ env: { CUDA_VISIBLE_DEVICES: mig } });
      expect(await probe.check()).toMatchObject({
        available: true,
        devices: ['gpu1'],
        selectedBy: 'CUDA_VISIBLE_DEVICES',
      });
      const got = await lastValueFrom(probe.samples({ intervalMs: 30 }).pipe(take(3), toArray()));
      expect(device(got, 'gpu1', 'present')?.reason).toMatch(
        new RegExp(`${mig} is a MIG instance of gpu1 .*cannot be measured apart from its GPU`),
      );
      expect(watts(got, 'gpu1')).toEqual([40, 40]);
      expect(watts(got, 'gpu0')).toEqual([]);
    });

    it('what CUDA ignores is said once, on the first GPU measured', async () => {
      quad();
      const got = await lastValueFrom(
        nvidiaSmiProbe({ env: { CUDA_VISIBLE_DEVICES: '2,1,-1,3' } })
          .samples({ intervalMs: 30 })
          .pipe(take(2), toArray()),
      );
      expect(got.map((e) => (e.kind === 'device' ? [e.deviceId, e.state, e.reason] : e.kind))).toEqual([
        ['gpu1', 'present', 'CUDA_VISIBLE_DEVICES=2,1,-1,3: the runtime stops at "-1", so "-1,3" is ignored'],
        ['gpu2', 'present', undefined],
      ]);
    });

    it('a GPU that does not exist: GpuSelectionError before anything is sampled, and check() says why', async () => {
      quad();
      const probe = nvidiaSmiProbe({ env: { CUDA_VISIBLE_DEVICES: '0,7' } });
      const check = await probe.check();
      expect(check.available).toBe(false);
      expect(check.selectedBy).toBe('CUDA_VISIBLE_DEVICES');
      expect(check.reason).toMatch(
        /CUDA_VISIBLE_DEVICES=0,7 names "7", which is not a GPU of this machine; this machine has: gpu0/,
      );
      const seen: ProbeEvent[] = [];
      const err = await lastValueFrom(probe.samples({ intervalMs: 30 }).pipe(tap((e) => seen.push(e)))).catch(
        (e) => e,
      );
      expect(seen).toEqual([]);
      expect(err).toBeInstanceOf(GpuSelectionError);
      expect((err as GpuSelectionError).code).toBe('E_GPU_SELECTION');
      const opt = await firstValueFrom(nvidiaSmiProbe({ gpus: [9], env: {} }).samples()).catch((e) => e);
      expect((opt as ProbeError).code).toBe('E_GPU_SELECTION');
    });

    it('CUDA_VISIBLE_DEVICES=-1 or empty: no GPU for the job, the probe is unavailable and says so', async () => {
      for (const value of ['-1', '']) {
        const probe = nvidiaSmiProbe({ env: { CUDA_VISIBLE_DEVICES: value } });
        const check = await probe.check();
        expect(check.available).toBe(false);
        expect(check.reason).toMatch(/the job may use no GPU \(CUDA_VISIBLE_DEVICES/);
        const err = await firstValueFrom(probe.samples()).catch((e) => e);
        expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
      }
    });

    it('mixed models and an index-only CUDA_VISIBLE_DEVICES: ambiguous, unless CUDA_DEVICE_ORDER=PCI_BUS_ID', async () => {
      process.env.FAKE_NVSMI_MACHINE = JSON.stringify({
        gpus: [
          { uuid: UUID0, name: 'Tesla T4', power: [30] },
          { uuid: UUID1, name: 'NVIDIA A100-SXM4-40GB', power: [200] },
        ],
      });
      const ambiguous = await nvidiaSmiProbe({ env: { CUDA_VISIBLE_DEVICES: '0' } }).check();
      expect(ambiguous).toMatchObject({ available: false, selectedBy: 'CUDA_VISIBLE_DEVICES' });
      expect(ambiguous.reason).toMatch(/CUDA_DEVICE_ORDER=PCI_BUS_ID/);
      const pci = nvidiaSmiProbe({ env: { CUDA_VISIBLE_DEVICES: '1', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' } });
      const got = await lastValueFrom(pci.samples({ intervalMs: 30 }).pipe(take(3), toArray()));
      expect(watts(got, 'gpu1')).toEqual([200, 200]);
    });

    it('an nvidia-smi that refuses a listing field: GPUs by index only (noted in check), selection by index still works', async () => {
      process.env.FAKE_NVSMI_MACHINE = JSON.stringify({
        unknownFields: ['pci.bus_id'],
        gpus: [
          { uuid: UUID0, power: [30] },
          { uuid: UUID1, power: [40] },
        ],
      });
      const probe = nvidiaSmiProbe({ env: { CUDA_VISIBLE_DEVICES: '1' } });
      expect(await probe.check()).toMatchObject({ available: true, devices: ['gpu1'] });
      const got = await lastValueFrom(probe.samples({ intervalMs: 30 }).pipe(take(3), toArray()));
      expect(got[0]).toMatchObject({
        kind: 'device',
        state: 'present',
        deviceId: 'gpu1',
        selectedBy: 'CUDA_VISIBLE_DEVICES',
      });
      expect((got[0] as DeviceEvent).uuid).toBeUndefined();
      expect(watts(got, 'gpu1')).toEqual([40, 40]);
    });
  });

  it('a driver without power.draw.instant is read through power.draw', async () => {
    process.env.FAKE_NVSMI_MODE = 'oldDriver';
    const got = await lastValueFrom(
      nvidiaSmiProbe({ env: {} }).samples({ intervalMs: 30 }).pipe(take(4), toArray()),
    );
    expect(watts(got, 'gpu0')).toEqual([71.23]);
    expect(watts(got, 'gpu1')).toEqual([254.8]);
  });

  for (const [mode, code] of [
    ['exit', 'E_PROBE_EXITED'],
    ['garbage', 'E_PROBE_PARSE'],
    ['stall', 'E_PROBE_STALLED'],
  ] as const) {
    it(`mode ${mode}: errors with ${code} and leaves no process`, async () => {
      process.env.FAKE_NVSMI_MODE = mode;
      let pid = 0;
      const probe = nvidiaSmiProbe({ onSpawn: (c) => (pid = c.pid ?? 0), env: {} });
      // stall limit is max(2 s, 5 x interval)
      const err = await lastValueFrom(probe.samples({ intervalMs: 30 }).pipe(toArray())).catch((e) => e);
      expect(err).toBeInstanceOf(ProbeError);
      expect((err as ProbeError).code).toBe(code);
      expect(await gone(pid)).toBe(true);
    });
  }

  it('a tool killed from outside (SIGKILL) is E_PROBE_EXITED naming the signal, after the samples it gave', async () => {
    let pid = 0;
    const seen: number[] = [];
    const err = await new Promise<unknown>((resolve) => {
      nvidiaSmiProbe({ onSpawn: (c) => (pid = c.pid ?? 0), env: {} })
        .samples({ intervalMs: 30 })
        .subscribe({
          next: (s) => {
            if (s.kind !== 'power') return;
            seen.push(s.powerW);
            if (seen.length === 2) process.kill(pid, 'SIGKILL');
          },
          error: resolve,
        });
    });
    expect((err as ProbeError).code).toBe('E_PROBE_EXITED');
    expect((err as ProbeExitedError).signal).toBe('SIGKILL');
    expect(seen.slice(0, 2)).toEqual([71.23, 254.8]);
    expect(seen.every((w) => w === 71.23 || w === 254.8)).toBe(true);
  });

  it('a line that is no row at all is skipped and reported (a gap, not a number); the stream goes on', async () => {
    process.env.FAKE_NVSMI_MACHINE = JSON.stringify({
      gpus: [
        { uuid: UUID0, power: [71.23] },
        { uuid: UUID1, power: [254.8] },
      ],
      lines: { 1: ['NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver'] },
    });
    const bad: BadLineReport[] = [];
    const got = await lastValueFrom(
      nvidiaSmiProbe({ env: {} })
        .samples({ intervalMs: 30, onBadLine: (r) => bad.push(r) })
        .pipe(take(6), toArray()),
    );
    expect(watts(got, 'gpu0')).toEqual([71.23, 71.23]);
    expect(watts(got, 'gpu1')).toEqual([254.8, 254.8]);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.error.input).toMatch(/^NVIDIA-SMI has failed/);
  });

  it('unsubscribing during the --help-query-gpu capability query kills it (and the listing)', async () => {
    process.env.FAKE_NVSMI_MODE = 'slowhelp';
    const pids: number[] = [];
    const sub = nvidiaSmiProbe({ onSpawn: (c) => c.pid && pids.push(c.pid), env: {} })
      .samples({ intervalMs: 30 })
      .subscribe({ error: () => {} });
    await new Promise((r) => setTimeout(r, 500));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(childrenOf(process.pid).length).toBeGreaterThanOrEqual(1);
    sub.unsubscribe();
    for (const pid of pids) expect(await gone(pid)).toBe(true);
    expect(childrenOf(process.pid)).toEqual([]);
  });

  it('a missing binary is ProbeUnavailableError, and check() says why', async () => {
    const probe = nvidiaSmiProbe({ binary: '/nonexistent/nvidia-smi', env: {} });
    const check = await probe.check();
    expect(check.available).toBe(false);
    expect(check.reason).toMatch(/`\/nonexistent\/nvidia-smi` not found on PATH/);
    const err = await firstValueFrom(probe.samples()).catch((e) => e);
    expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
  });
});
