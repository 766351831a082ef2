// nvidiaSmiEvents on nvidia-smi's "Unable to determine the device handle" line: which GPU it names (an index or a
// PCI bus id of any domain width), the reason it gives, and a line naming no GPU of the probe (Stryker survivors).
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DeviceTracker } from './device-state.js';
import { ProbeParseError } from './errors.js';
import {
  isNvidiaSmiListLine,
  type NvidiaSmiGpu,
  nvidiaSmiEvents,
  parseNvidiaSmiDeviceError,
  parseNvidiaSmiLine,
  parseNvidiaSmiListLine,
  parseNvidiaSmiMigList,
} from './nvidia-smi.js';
import type { DeviceEvent, ProbeEvent } from './sample.js';

const gpus: NvidiaSmiGpu[] = [
  { index: 0, deviceId: 'gpu0', uuid: 'GPU-a', busId: '00000000:3B:00.0', name: 'NVIDIA A100' },
  { index: 1, deviceId: 'gpu1', uuid: 'GPU-b', busId: '00000000:86:00.0' },
];

async function run(lines: string[], listed: NvidiaSmiGpu[] = gpus) {
  const bad: ProbeParseError[] = [];
  const reportedBy: string[] = [];
  const tracker = new DeviceTracker(
    'nvidia-smi',
    'gpu',
    'all',
    listed.map((g) => ({ deviceId: g.deviceId, label: `GPU ${g.index}` })),
  );
  let t = 0;
  const onBadLine = (r: { probe: string; error: ProbeParseError }) => {
    bad.push(r.error);
    reportedBy.push(r.probe);
  };
  const events = await lastValueFrom(
    from(lines).pipe(
      nvidiaSmiEvents(tracker, listed, 'power.draw', { onBadLine }, () => (t += 10)),
      toArray(),
    ),
  );
  const device = (e: ProbeEvent): e is DeviceEvent => e.kind === 'device';
  return { events, bad, reportedBy, lost: events.filter(device).filter((e) => e.state === 'lost') };
}

describe('nvidiaSmiEvents: the device-handle error (mutation tests)', () => {
  it('a GPU named by its index is that GPU, lost with a reason naming its uuid and model', async () => {
    const line =
      'Unable to determine the device handle for GPU 1: GPU is lost.  Reboot the system to recover this GPU';
    const { lost, bad } = await run(['0, GPU-a, 50.00', '1, GPU-b, 60.00', line]);
    expect(bad).toEqual([]);
    expect(lost.map((e) => [e.deviceId, e.tMs])).toEqual([['gpu1', 30]]);
    expect(lost[0]?.reason).toBe(
      `nvidia-smi says "${line}": GPU 1 (GPU-b) is lost (off the bus or a driver fault); its energy from here on is ` +
        'missing until it reads again',
    );
  });

  it('a GPU named by a bus id with a 4-digit domain matches the 8-digit one, case aside', async () => {
    const line = 'Unable to determine the device handle for GPU0000:3b:00.0: Unknown Error';
    const { lost } = await run(['0, GPU-a, 50.00', line]);
    expect(lost.map((e) => e.deviceId)).toEqual(['gpu0']);
    expect(lost[0]?.reason).toContain('GPU 0 (GPU-a, NVIDIA A100) is lost');
  });

  it('a bus id or index of no GPU of the probe is skipped and reported, never pinned on another GPU', async () => {
    const line = 'Unable to determine the device handle for GPU0000:99:00.0: Unknown Error';
    const { lost, bad, events } = await run([
      '0, GPU-a, 50.00',
      line,
      'Unable to determine the device handle for GPU 7: Unknown Error',
    ]);
    expect(lost).toEqual([]);
    expect(bad.map((e) => e.message)).toEqual([
      `nvidia-smi: cannot tell which GPU "0000:99:00.0" is in ${JSON.stringify(line)}`,
      `nvidia-smi: cannot tell which GPU "7" is in ${JSON.stringify('Unable to determine the device handle for GPU 7: Unknown Error')}`,
    ]);
    expect(events.filter((e) => e.kind === 'power').length).toBe(1);
  });

  it('an unsupported or bad reading names the GPU by index, uuid and model in its reason', async () => {
    const { events } = await run(['0, GPU-a, [N/A]', '1, GPU-b, ERR!']);
    const reasons = events.filter((e): e is DeviceEvent => e.kind === 'device' && e.state !== 'present');
    expect(reasons.map((e) => [e.deviceId, e.state, e.reason])).toEqual([
      [
        'gpu0',
        'unsupported',
        'nvidia-smi reports power.draw of GPU 0 (GPU-a, NVIDIA A100) as [N/A]: no power sensor the driver can read' +
          ', so it is not measured (leave it out with --gpus or CUDA_VISIBLE_DEVICES, or estimate it with --probe estimate)',
      ],
      [
        'gpu1',
        'bad-reading',
        'nvidia-smi printed "ERR!" as power.draw of GPU 1 (GPU-b), not a number of watts; that reading is skipped',
      ],
    ]);
  });

  it('blank lines are nothing: no event, no bad line, and they do not start the GPUs', async () => {
    const { events, bad } = await run(['', '   ', '0, GPU-a, 50.00']);
    expect(bad).toEqual([]);
    expect(events.map((e) => `${e.kind}:${e.deviceId}:${e.tMs}`)).toEqual([
      'device:gpu0:10',
      'device:gpu1:10',
      'power:gpu0:10',
    ]);
  });
});

describe('parseNvidiaSmiLine (mutation tests)', () => {
  const refusal = (line: string): string => {
    try {
      parseNvidiaSmiLine(line);
    } catch (err) {
      expect(err).toBeInstanceOf(ProbeParseError);
      expect((err as ProbeParseError).input).toBe(line);
      return (err as Error).message;
    }
    throw new Error(`expected ${line} to be refused`);
  };

  it('a wrong field count and a bad index or uuid are refused with messages quoting at most 200 characters', () => {
    expect(refusal('0, GPU-a')).toBe(
      'nvidia-smi: expected 3 comma-separated fields (index, uuid, power) but found 2 in "0, GPU-a"',
    );
    const long = `0, GPU-a, 1, ${'x'.repeat(300)}`;
    expect(refusal(long)).toBe(
      `nvidia-smi: expected 3 comma-separated fields (index, uuid, power) but found 4 in ${JSON.stringify(long.slice(0, 200))}`,
    );
    expect(refusal('1x, GPU-a, 5')).toBe(
      'nvidia-smi: expected a GPU index and uuid but found "1x, GPU-a, 5"',
    );
    expect(refusal('x1, GPU-a, 5')).toMatch(/^nvidia-smi: expected a GPU index and uuid/);
    expect(refusal('12345, GPU-a, 5')).toMatch(/^nvidia-smi: expected a GPU index and uuid/);
    expect(refusal('1, , 5')).toMatch(/^nvidia-smi: expected a GPU index and uuid/);
    const longUuid = `1x, ${'u'.repeat(300)}, 5`;
    expect(refusal(longUuid)).toBe(
      `nvidia-smi: expected a GPU index and uuid but found ${JSON.stringify(longUuid.slice(0, 200))}`,
    );
    expect(parseNvidiaSmiLine('9999, GPU-a, 5')).toMatchObject({ index: 9999, powerW: 5, status: 'ok' });
  });

  it('a 400-digit power is not a number of watts (Infinity): a bad reading', () => {
    expect(parseNvidiaSmiLine(`0, GPU-a, ${'9'.repeat(400)}`)).toMatchObject({ powerW: null, status: 'bad' });
  });
});

describe('parseNvidiaSmiListLine and parseNvidiaSmiDeviceError (mutation tests)', () => {
  const refused = (line: string): boolean => {
    try {
      parseNvidiaSmiListLine(line);
      return false;
    } catch (err) {
      expect(err).toBeInstanceOf(ProbeParseError);
      expect((err as Error).message).toBe(
        `nvidia-smi: expected "index, uuid, pci.bus_id, power.limit, name" but found ${JSON.stringify(line.slice(0, 200))}`,
      );
      return true;
    }
  };

  it('each of the five conditions refuses a line on its own', () => {
    expect(refused('0, GPU-a, 00000000:3B:00.0, 300.00')).toBe(true); // four fields
    expect(refused('0x, GPU-a, 00000000:3B:00.0, 300.00, A100')).toBe(true);
    expect(refused('x0, GPU-a, 00000000:3B:00.0, 300.00, A100')).toBe(true);
    expect(refused('12345, GPU-a, 00000000:3B:00.0, 300.00, A100')).toBe(true);
    expect(refused('0, MIG-a, 00000000:3B:00.0, 300.00, A100')).toBe(true);
    expect(refused('0, xGPU-a, 00000000:3B:00.0, 300.00, A100')).toBe(true);
    expect(refused('0, GPU-a, 00000000:3B:00.0, 300.00, ')).toBe(true);
    expect(refused(`0, GPU-a, b, 300.00, ${'n'.repeat(300)}`.replace('GPU-a', 'MIG-a'))).toBe(true);
  });

  it('a four-digit index, a lower-case uuid prefix, a name with commas; [N/A] bus id and limit are left out', () => {
    expect(parseNvidiaSmiListLine('1234, gpu-a, [N/A], [N/A], Tesla, rev 2')).toStrictEqual({
      index: 1234,
      uuid: 'gpu-a',
      deviceId: 'gpu1234',
      name: 'Tesla, rev 2',
    });
    expect(parseNvidiaSmiListLine('0, GPU-a, 00000000:3B:00.0, 300.00 W, A100')).toStrictEqual({
      index: 0,
      uuid: 'GPU-a',
      deviceId: 'gpu0',
      name: 'A100',
      busId: '00000000:3B:00.0',
      powerLimitW: 300,
    });
  });

  it('the device-handle line is read with whitespace around it', () => {
    expect(
      parseNvidiaSmiDeviceError('  Unable to determine the device handle for GPU 1: GPU is lost  '),
    ).toEqual({
      gpu: '1',
      error: 'GPU is lost',
    });
    expect(parseNvidiaSmiDeviceError('GPU 1: fine')).toBeUndefined();
  });
});

describe('parseNvidiaSmiMigList (mutation tests)', () => {
  it('MIG lines go to the GPU heading them; other lines, and MIG lines before any GPU, are ignored', () => {
    const text = [
      '  MIG 1g.5gb Device 0: (UUID: MIG-orphan)',
      'GPU 0: NVIDIA A100 (UUID: GPU-a)',
      '  MIG 1g.5gb Device 0: (UUID: MIG-a0)',
      'note: GPU 5: is not a heading here',
      '  not a MIG line (UUID: MIG-fake)',
      '  MIG 2g.10gb Device 1: (UUID: MIG-a1)',
      'GPU 12: NVIDIA A100 (UUID: GPU-b)',
      '  MIG 7g.40gb Device 0: (UUID: MIG-b0)',
    ].join('\n');
    expect([...parseNvidiaSmiMigList(text)]).toEqual([
      [0, ['MIG-a0', 'MIG-a1']],
      [12, ['MIG-b0']],
    ]);
  });
});

describe('nvidiaSmiEvents: silence (mutation tests)', () => {
  it('the silence clock starts with the first line only: a GPU that stops printing is lost once silent > 500 ms', async () => {
    const tracker = new DeviceTracker(
      'nvidia-smi',
      'gpu',
      'all',
      gpus.map((g) => ({ deviceId: g.deviceId, label: `GPU ${g.index}` })),
      { lostAfterSilentMs: 500 },
    );
    let t = 0;
    // gpu1 prints once (t = 20), then only gpu0 prints, one line every 10 ms
    const lines = [
      '0, GPU-a, 50.00',
      '1, GPU-b, 60.00',
      ...Array.from({ length: 60 }, () => '0, GPU-a, 50.00'),
    ];
    const events = await lastValueFrom(
      from(lines).pipe(
        nvidiaSmiEvents(tracker, gpus, 'power.draw', {}, () => (t += 10)),
        toArray(),
      ),
    );
    const lost = events.filter((e): e is DeviceEvent => e.kind === 'device' && e.state === 'lost');
    expect(lost.map((e) => [e.deviceId, e.tMs])).toEqual([['gpu1', 530]]);
    expect(lost[0]?.reason).toMatch(/^nvidia-smi stopped printing GPU 1 \(nothing for 510 ms/);
  });
});

describe('nvidiaSmiEvents: event shapes and quotes (mutation tests)', () => {
  it('a power reading is a complete, measured (not estimated) gpu sample from nvidia-smi', async () => {
    const { events } = await run(['0, GPU-a, 50.25']);
    expect(events.filter((e) => e.kind === 'power')).toStrictEqual([
      {
        kind: 'power',
        tMs: 10,
        deviceId: 'gpu0',
        component: 'gpu',
        source: 'nvidia-smi',
        estimated: false,
        powerW: 50.25,
      },
    ]);
  });

  it('a long bad value is quoted to its first 60 characters', async () => {
    const value = `ERR${'!'.repeat(100)}`;
    const { events } = await run(['0, GPU-a, 50.00', `0, GPU-a, ${value}`]);
    const bad = events.find((e): e is DeviceEvent => e.kind === 'device' && e.state === 'bad-reading');
    expect(bad?.reason).toBe(
      `nvidia-smi printed ${JSON.stringify(value.slice(0, 60))} as power.draw of GPU 0 (GPU-a, NVIDIA A100), not a number of watts; that reading is skipped`,
    );
  });

  it('a skipped line is reported as nvidia-smi', async () => {
    const { reportedBy, bad } = await run(['0, GPU-a, 50.00', 'no row at all', '0, GPU-a, 51.00']);
    expect(reportedBy).toEqual(['nvidia-smi']);
    expect(bad.map((e) => e.input)).toEqual(['no row at all']);
  });

  it('a device-handle error naming a bus id finds its GPU past a listed GPU that has no bus id', async () => {
    const listed: NvidiaSmiGpu[] = [
      { index: 0, deviceId: 'gpu0', uuid: 'GPU-a' },
      { index: 1, deviceId: 'gpu1', uuid: 'GPU-b', busId: '00000000:86:00.0' },
    ];
    const line = 'Unable to determine the device handle for GPU00000000:86:00.0: GPU is lost';
    const { lost, bad } = await run(['0, GPU-a, 50.00', '1, GPU-b, 60.00', line], listed);
    expect(bad).toEqual([]);
    expect(lost.map((e) => e.deviceId)).toEqual(['gpu1']);
  });
});

describe('parseNvidiaSmiListLine: isNvidiaSmiListLine (mutation tests)', () => {
  it('is true exactly for the lines parseNvidiaSmiListLine reads', () => {
    expect(isNvidiaSmiListLine('0, GPU-a, 00000000:3B:00.0, 300.00, NVIDIA A100')).toBe(true);
    expect(isNvidiaSmiListLine('0')).toBe(false);
    expect(isNvidiaSmiListLine('Field "pci.bus_id" is not a valid field to query.')).toBe(false);
  });
});
