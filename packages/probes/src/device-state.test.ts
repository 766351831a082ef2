// DeviceTracker: each device's state machine on its own, and where selection notes go.
import { describe, expect, it } from 'vitest';
import { attachNotes, DeviceTracker, NoMeasurableDeviceError, type TrackedDevice } from './device-state.js';

const devices: TrackedDevice[] = [
  { deviceId: 'gpu0', label: 'GPU 0', uuid: 'GPU-a', powerLimitW: 300 },
  { deviceId: 'gpu1', label: 'GPU 1' },
];
const tracker = () =>
  new DeviceTracker('nvidia-smi', 'gpu', 'CUDA_VISIBLE_DEVICES', devices, {
    lostAfterBadReadings: 3,
    lostAfterSilentMs: 500,
  });
const states = (events: { state: string; deviceId: string }[]) =>
  events.map((e) => `${e.deviceId}:${e.state}`);

describe('DeviceTracker', () => {
  it('present carries uuid, power limit and selectedBy; only for devices that have them', () => {
    expect(tracker().present(5)).toEqual([
      {
        kind: 'device',
        tMs: 5,
        deviceId: 'gpu0',
        component: 'gpu',
        source: 'nvidia-smi',
        state: 'present',
        uuid: 'GPU-a',
        powerLimitW: 300,
        selectedBy: 'CUDA_VISIBLE_DEVICES',
      },
      {
        kind: 'device',
        tMs: 5,
        deviceId: 'gpu1',
        component: 'gpu',
        source: 'nvidia-smi',
        state: 'present',
        selectedBy: 'CUDA_VISIBLE_DEVICES',
      },
    ]);
  });

  it('unsupported only as the first word; after readings it is a bad reading', () => {
    const t = tracker();
    expect(states(t.unsupported('gpu0', 1, '[N/A]'))).toEqual(['gpu0:unsupported']);
    expect(t.good('gpu0', 2)).toBe(false); // an unsupported device gives no samples
    expect(t.good('gpu1', 2)).toBe(true);
    expect(states(t.unsupported('gpu1', 3, '[N/A]'))).toEqual(['gpu1:bad-reading']);
    expect(t.noneMeasurable()).toBeUndefined();
  });

  it('exactly lostAfterBadReadings bad readings in a row make it lost; a good one in between resets the count', () => {
    const t = tracker();
    t.good('gpu0', 0);
    expect(states(t.bad('gpu0', 1, 'x'))).toEqual(['gpu0:bad-reading']);
    expect(states(t.bad('gpu0', 2, 'x'))).toEqual(['gpu0:bad-reading']);
    t.good('gpu0', 3);
    expect(states(t.bad('gpu0', 4, 'x'))).toEqual(['gpu0:bad-reading']);
    expect(states(t.bad('gpu0', 5, 'x'))).toEqual(['gpu0:bad-reading']);
    expect(states(t.bad('gpu0', 6, 'x'))).toEqual(['gpu0:bad-reading', 'gpu0:lost']);
    // lost stays lost, quietly, until a good reading
    expect(t.bad('gpu0', 7, 'x')).toEqual([]);
    expect(t.lost('gpu0', 8, 'y')).toEqual([]);
    expect(t.good('gpu0', 9)).toBe(true);
    expect(states(t.lost('gpu0', 10, 'y'))).toEqual(['gpu0:lost']);
  });

  it('silence: lost only when longer than lostAfterSilentMs (not equal), counted from the first output', () => {
    const t = tracker();
    t.resetSilence(1000);
    t.good('gpu0', 1000);
    t.good('gpu1', 1000);
    t.good('gpu0', 1500);
    expect(t.silent(1500, 'nvidia-smi')).toEqual([]);
    const lost = t.silent(1501, 'nvidia-smi');
    expect(states(lost)).toEqual(['gpu1:lost']);
    expect(lost[0]?.reason).toMatch(/stopped printing GPU 1 \(nothing for 501 ms/);
  });

  it('every device unsupported: NoMeasurableDeviceError with each reason', () => {
    const t = tracker();
    t.unsupported('gpu0', 1, 'GPU 0 has no sensor');
    expect(t.noneMeasurable()).toBeUndefined();
    t.unsupported('gpu1', 1, 'GPU 1 has no sensor', ', do this');
    const err = t.noneMeasurable();
    expect(err).toBeInstanceOf(NoMeasurableDeviceError);
    expect(err?.devices).toEqual([
      { deviceId: 'gpu0', reason: 'GPU 0 has no sensor' },
      { deviceId: 'gpu1', reason: 'GPU 1 has no sensor' },
    ]);
  });
});

describe('attachNotes', () => {
  it('a note naming a device goes to it (as a word: gpu1 is not gpu10), the rest to the first device', () => {
    const ds: TrackedDevice[] = ['gpu1', 'gpu10', 'gpu2'].map((deviceId) => ({ deviceId, label: deviceId }));
    const out = attachNotes(ds, [
      'MIG-x is a MIG instance of gpu10 (GPU-b): …',
      'order assumed',
      'gpu2 twice',
    ]);
    expect(out.map((d) => d.note)).toEqual([
      'order assumed',
      'MIG-x is a MIG instance of gpu10 (GPU-b): …',
      'gpu2 twice',
    ]);
    expect(attachNotes(ds, [])).toEqual(ds);
  });
});
