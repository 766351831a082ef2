// NVML probe against a fake libnvidia-ml.so.1 built here with gcc from test/fake-nvml/fake-nvml.c: faults per GPU.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  firstValueFrom,
  lastValueFrom,
  type Observable,
  take,
  takeUntil,
  takeWhile,
  timer,
  toArray,
} from 'rxjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NoMeasurableDeviceError } from './device-state.js';
import { ProbeError } from './errors.js';
import { GpuSelectionError } from './gpu-selection.js';
import { nvmlProbe } from './nvml.js';
import type { DeviceEvent, EnergyCounterReading, PowerReading, ProbeEvent } from './sample.js';

const source = join(import.meta.dirname, '..', 'test', 'fake-nvml', 'fake-nvml.c');
const hasGcc = spawnSync('sh', ['-c', 'command -v gcc']).status === 0;
const UUID0 = 'GPU-fa4e0000-0000-4000-8000-000000000000';
const UUID1 = 'GPU-fa4e0000-0000-4000-8000-000000000001';

const watts = (events: ProbeEvent[], deviceId: string): number[] =>
  events.filter((e): e is PowerReading => e.kind === 'power' && e.deviceId === deviceId).map((e) => e.powerW);
const joules = (events: ProbeEvent[], deviceId: string): number[] =>
  events
    .filter((e): e is EnergyCounterReading => e.kind === 'energy' && e.deviceId === deviceId)
    .map((e) => e.energyJ);
const states = (events: ProbeEvent[], deviceId: string): string[] =>
  events.filter((e): e is DeviceEvent => e.kind === 'device' && e.deviceId === deviceId).map((e) => e.state);
const device = (events: ProbeEvent[], deviceId: string, state: string): DeviceEvent | undefined =>
  events.find((e): e is DeviceEvent => e.kind === 'device' && e.deviceId === deviceId && e.state === state);

/** Events until gpu1 (the healthy GPU in these tests) has `n` power readings, or 5 s. */
function untilGpu1(events$: Observable<ProbeEvent>, n: number): Promise<ProbeEvent[]> {
  let count = 0;
  return lastValueFrom(
    events$.pipe(
      takeWhile((e) => {
        if (e.kind === 'power' && e.deviceId === 'gpu1') count += 1;
        return count < n;
      }, true),
      takeUntil(timer(5000)),
      toArray(),
    ),
  );
}

const injected: string[] = [];
/** Sets fake-library variables for one test (the library reads them at every call). */
function inject(vars: Record<string, string>): void {
  for (const [k, v] of Object.entries(vars)) {
    process.env[k] = v;
    injected.push(k);
  }
}
afterEach(() => {
  for (const k of injected.splice(0)) delete process.env[k];
});

describe.skipIf(!hasGcc)('nvmlProbe (fake libnvidia-ml.so.1; skipped only when gcc is absent)', () => {
  let libraryPath = '';
  beforeAll(() => {
    libraryPath = join(mkdtempSync(join(tmpdir(), 'eff-nvml-')), 'libnvidia-ml.so.1');
    const build = spawnSync('gcc', ['-shared', '-fPIC', '-O1', '-o', libraryPath, source], {
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);
  });

  it('check() lists both GPUs, none unmeasurable, selected by nothing (all)', async () => {
    expect(await nvmlProbe({ libraryPath, env: {} }).check()).toEqual({
      available: true,
      devices: ['gpu0', 'gpu1'],
      unmeasurable: [],
      selectedBy: 'all',
    });
  });

  it('present events with UUID and enforced power limit, then BOTH counter (mJ -> J) and power (mW -> W) per GPU', async () => {
    const got = await untilGpu1(nvmlProbe({ libraryPath, env: {} }).samples({ intervalMs: 20 }), 3);
    expect(got.slice(0, 2)).toEqual([
      expect.objectContaining({
        kind: 'device',
        state: 'present',
        deviceId: 'gpu0',
        uuid: UUID0,
        powerLimitW: 400,
        selectedBy: 'all',
      }),
      expect.objectContaining({
        kind: 'device',
        state: 'present',
        deviceId: 'gpu1',
        uuid: UUID1,
        powerLimitW: 70,
        selectedBy: 'all',
      }),
    ]);
    expect(got[2]).toMatchObject({
      kind: 'energy',
      deviceId: 'gpu0',
      source: 'nvml',
      component: 'gpu',
      estimated: false,
    });
    // the fake adds 1000 mJ per read of gpu0's counter: 1001, 1002, 1003 J
    expect(joules(got, 'gpu0')).toEqual([1001, 1002, 1003]);
    expect(watts(got, 'gpu0')).toEqual([150, 150, 150]);
    // gpu1 has no counter (pre-Volta): power only
    expect(joules(got, 'gpu1')).toEqual([]);
    expect(watts(got, 'gpu1')).toEqual([75.5, 75.5, 75.5]);
  });

  describe('per-GPU faults: gpu1 keeps its exact readings', () => {
    it('NOT_SUPPORTED for power and energy: gpu0 unsupported (named), no sample; check() lists it as unmeasurable', async () => {
      inject({ FAKE_NVML_POWER_0: '3', FAKE_NVML_ENERGY_0: '3' });
      const probe = nvmlProbe({ libraryPath, env: {} });
      const check = await probe.check();
      expect(check).toMatchObject({ available: true, devices: ['gpu1'] });
      expect(check.unmeasurable).toEqual([
        {
          deviceId: 'gpu0',
          reason: expect.stringMatching(
            /GPU 0 \(GPU-fa4e.*0000, NVIDIA A100-SXM4-40GB\) cannot be measured .*Not Supported/,
          ),
        },
      ]);
      const got = await untilGpu1(probe.samples({ intervalMs: 20 }), 4);
      expect(states(got, 'gpu0')).toEqual(['present', 'unsupported']);
      expect(device(got, 'gpu0', 'unsupported')?.reason).toMatch(/neither power nor energy/);
      expect(watts(got, 'gpu0')).toEqual([]);
      expect(joules(got, 'gpu0')).toEqual([]);
      expect(watts(got, 'gpu1')).toEqual([75.5, 75.5, 75.5, 75.5]);
    });

    it('NO_PERMISSION: unsupported, saying how to get the permission', async () => {
      inject({ FAKE_NVML_POWER_0: '4', FAKE_NVML_ENERGY_0: '4' });
      const got = await untilGpu1(nvmlProbe({ libraryPath, env: {} }).samples({ intervalMs: 20 }), 2);
      expect(device(got, 'gpu0', 'unsupported')?.reason).toMatch(/Insufficient Permissions.*video group/);
      expect(watts(got, 'gpu1')).toEqual([75.5, 75.5]);
    });

    it("GPU_IS_LOST from the third reading: lost at once, with NVML's words", async () => {
      inject({
        FAKE_NVML_POWER_0: '15',
        FAKE_NVML_POWER_FROM_0: '2',
        FAKE_NVML_ENERGY_0: '15',
        FAKE_NVML_ENERGY_FROM_0: '2',
      });
      const got = await untilGpu1(nvmlProbe({ libraryPath, env: {} }).samples({ intervalMs: 20 }), 6);
      expect(states(got, 'gpu0')).toEqual(['present', 'lost']);
      expect(device(got, 'gpu0', 'lost')?.reason).toMatch(
        /GPU 0 .* is lost \(nvmlDeviceGetPowerUsage: GPU is lost \(NVML code 15\)/,
      );
      expect(watts(got, 'gpu0')).toEqual([150, 150]);
      expect(joules(got, 'gpu0')).toEqual([1001, 1002]);
      expect(watts(got, 'gpu1')).toEqual(Array(6).fill(75.5));
    });

    it('one unknown error: a bad-reading for that reading only, then gpu0 reads on', async () => {
      inject({
        FAKE_NVML_POWER_0: '999',
        FAKE_NVML_POWER_FROM_0: '1',
        FAKE_NVML_POWER_TO_0: '2',
        FAKE_NVML_ENERGY_0: '999',
        FAKE_NVML_ENERGY_FROM_0: '1',
        FAKE_NVML_ENERGY_TO_0: '2',
      });
      const got = await untilGpu1(nvmlProbe({ libraryPath, env: {} }).samples({ intervalMs: 20 }), 4);
      expect(states(got, 'gpu0')).toEqual(['present', 'bad-reading']);
      expect(device(got, 'gpu0', 'bad-reading')?.reason).toMatch(/Unknown Error \(NVML code 999\)/);
      expect(watts(got, 'gpu0')).toEqual([150, 150, 150]);
      expect(joules(got, 'gpu0')).toEqual([1001, 1003, 1004]);
      expect(watts(got, 'gpu1')).toEqual([75.5, 75.5, 75.5, 75.5]);
    });

    it('unknown errors that go on: lost after 3 bad readings', async () => {
      inject({
        FAKE_NVML_POWER_0: '999',
        FAKE_NVML_POWER_FROM_0: '1',
        FAKE_NVML_ENERGY_0: '999',
        FAKE_NVML_ENERGY_FROM_0: '1',
      });
      const got = await untilGpu1(nvmlProbe({ libraryPath, env: {} }).samples({ intervalMs: 20 }), 6);
      expect(states(got, 'gpu0')).toEqual(['present', 'bad-reading', 'bad-reading', 'bad-reading', 'lost']);
      expect(watts(got, 'gpu0')).toEqual([150]);
      expect(watts(got, 'gpu1')).toEqual(Array(6).fill(75.5));
    });

    it('a counter that fails while power reads: power goes on, no device event (the meter sees the counter gap)', async () => {
      inject({ FAKE_NVML_ENERGY_0: '999', FAKE_NVML_ENERGY_FROM_0: '1' });
      const got = await untilGpu1(nvmlProbe({ libraryPath, env: {} }).samples({ intervalMs: 20 }), 3);
      expect(states(got, 'gpu0')).toEqual(['present']);
      expect(joules(got, 'gpu0')).toEqual([1001]);
      expect(watts(got, 'gpu0')).toEqual([150, 150, 150]);
    });

    it('a GPU NVML cannot open (handle: GPU is lost) is lost from the start; gpu0 is measured', async () => {
      inject({ FAKE_NVML_HANDLE_1: '15' });
      const probe = nvmlProbe({ libraryPath, env: {} });
      expect((await probe.check()).unmeasurable).toEqual([
        { deviceId: 'gpu1', reason: expect.stringMatching(/GPU 1 cannot be opened .*GPU is lost/) },
      ]);
      const got = await lastValueFrom(probe.samples({ intervalMs: 20 }).pipe(take(9), toArray()));
      expect(states(got, 'gpu1')).toEqual(['present', 'lost']);
      expect(watts(got, 'gpu0')).toEqual([150, 150, 150]);
    });

    it('no GPU measurable: NoMeasurableDeviceError naming both (E_PROBE_UNAVAILABLE)', async () => {
      inject({ FAKE_NVML_POWER_0: '3', FAKE_NVML_ENERGY_0: '3', FAKE_NVML_POWER_1: '3' });
      const probe = nvmlProbe({ libraryPath, env: {} });
      expect(await probe.check()).toMatchObject({ available: false, devices: [] });
      const err = await lastValueFrom(probe.samples({ intervalMs: 20 }).pipe(toArray())).catch((e) => e);
      expect(err).toBeInstanceOf(NoMeasurableDeviceError);
      expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
      expect((err as NoMeasurableDeviceError).devices.map((d) => d.deviceId)).toEqual(['gpu0', 'gpu1']);
    });
  });

  describe('GPU selection (NVML order is PCI order, like nvidia-smi)', () => {
    const cases: Array<[string, { gpus?: (number | string)[]; env: NodeJS.ProcessEnv }, string, string[]]> = [
      [
        'CUDA_VISIBLE_DEVICES by UUID',
        { env: { CUDA_VISIBLE_DEVICES: UUID1 } },
        'CUDA_VISIBLE_DEVICES',
        ['gpu1'],
      ],
      [
        'CUDA_VISIBLE_DEVICES by index (same models)',
        { env: { CUDA_VISIBLE_DEVICES: '0' } },
        'CUDA_VISIBLE_DEVICES',
        ['gpu0'],
      ],
      [
        'NVIDIA_VISIBLE_DEVICES',
        { env: { NVIDIA_VISIBLE_DEVICES: '1' } },
        'NVIDIA_VISIBLE_DEVICES',
        ['gpu1'],
      ],
      ['SLURM_JOB_GPUS', { env: { SLURM_JOB_GPUS: '1' } }, 'SLURM_JOB_GPUS', ['gpu1']],
      [
        'the option over the variables',
        { gpus: ['GPU-fa4e0000-0000-4000-8000-000000000000'], env: { CUDA_VISIBLE_DEVICES: '1' } },
        'option',
        ['gpu0'],
      ],
    ];
    for (const [what, options, selectedBy, expected] of cases) {
      it(`${what}: ${expected.join(', ')}`, async () => {
        const probe = nvmlProbe({ libraryPath, ...options });
        expect(await probe.check()).toMatchObject({ available: true, devices: expected, selectedBy });
        const got = await lastValueFrom(probe.samples({ intervalMs: 20 }).pipe(take(4), toArray()));
        expect([...new Set(got.map((e) => e.deviceId))]).toEqual(expected);
        expect(got[0]).toMatchObject({ kind: 'device', state: 'present', selectedBy });
      });
    }

    it('a MIG UUID selects its GPU (NVML lists the instances), and the present event says the whole GPU is read', async () => {
      inject({ FAKE_NVML_MIGS_1: '3' });
      const mig = 'MIG-fa4e0000-0000-4000-8000-000000000012';
      const probe = nvmlProbe({ libraryPath, env: { CUDA_VISIBLE_DEVICES: mig } });
      expect(await probe.check()).toMatchObject({
        available: true,
        devices: ['gpu1'],
        selectedBy: 'CUDA_VISIBLE_DEVICES',
      });
      const got = await lastValueFrom(probe.samples({ intervalMs: 20 }).pipe(take(3), toArray()));
      expect(device(got, 'gpu1', 'present')?.reason).toMatch(
        new RegExp(`${mig} is a MIG instance of gpu1 .*whole GPU`),
      );
      expect(watts(got, 'gpu1')).toEqual([75.5, 75.5]);
      const unknown = await nvmlProbe({
        libraryPath,
        env: { CUDA_VISIBLE_DEVICES: 'MIG-fa4e0000-0000-4000-8000-000000000019' },
      }).check();
      expect(unknown.reason).toMatch(/names "MIG-fa4e.*19", which is not a GPU of this machine/);
    });

    it('a GPU that does not exist, or an ambiguous index on mixed models: E_GPU_SELECTION', async () => {
      const missing = nvmlProbe({ libraryPath, gpus: [5], env: {} });
      expect((await missing.check()).reason).toMatch(
        /gpus option: "5" is not a GPU index.*gpu1 \(index 1, GPU-fa4e/,
      );
      const err = await firstValueFrom(missing.samples()).catch((e) => e);
      expect(err).toBeInstanceOf(GpuSelectionError);
      inject({ FAKE_NVML_NAME_0: 'Tesla T4' });
      const ambiguous = await nvmlProbe({ libraryPath, env: { CUDA_VISIBLE_DEVICES: '1' } }).check();
      expect(ambiguous).toMatchObject({ available: false, selectedBy: 'CUDA_VISIBLE_DEVICES' });
      expect(ambiguous.reason).toMatch(/CUDA_DEVICE_ORDER=PCI_BUS_ID/);
    });
  });

  it('init failure -> ProbeUnavailableError naming the NVML error', async () => {
    inject({ FAKE_NVML_INIT: 'fail' });
    const err = await firstValueFrom(nvmlProbe({ libraryPath }).samples()).catch((e) => e);
    expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
    expect((err as Error).message).toMatch(/Driver Not Loaded/);
  });
});

describe('nvmlProbe without the library', () => {
  it('a missing library is unavailable with a reason', async () => {
    const probe = nvmlProbe({ libraryPath: '/nonexistent/libnvidia-ml.so.1' });
    const check = await probe.check();
    expect(check.available).toBe(false);
    expect(check.reason).toMatch(/cannot load/);
    const err = await firstValueFrom(probe.samples()).catch((e) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
  });
});
