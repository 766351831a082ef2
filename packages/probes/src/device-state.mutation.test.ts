// Kills Stryker's survivors in device-state.ts: defaults, absent keys, the joined notes and the error's exact text.
import { describe, expect, it } from 'vitest';
import { attachNotes, DeviceTracker, NoMeasurableDeviceError, type TrackedDevice } from './device-state.js';

const gpus: TrackedDevice[] = [
  { deviceId: 'gpu0', label: 'GPU 0' },
  { deviceId: 'gpu1', label: 'GPU 1', uuid: 'GPU-b', note: 'a MIG instance read through its GPU' },
];

describe('DeviceTracker defaults and event shapes', () => {
  it('without options, the third bad reading in a row (not the second) makes a device lost', () => {
    const t = new DeviceTracker('nvidia-smi', 'gpu', 'all', gpus);
    t.good('gpu0', 0);
    expect(t.bad('gpu0', 1, 'ERR!').map((e) => e.state)).toEqual(['bad-reading']);
    expect(t.bad('gpu0', 2, 'ERR!').map((e) => e.state)).toEqual(['bad-reading']);
    const third = t.bad('gpu0', 3, 'ERR!');
    expect(third.map((e) => e.state)).toEqual(['bad-reading', 'lost']);
    expect(third[1]?.reason).toBe(
      'GPU 0 gave 3 unusable readings in a row (last: ERR!); it is counted as lost until it reads again',
    );
  });

  it('without options a silent device is never lost', () => {
    const t = new DeviceTracker('nvidia-smi', 'gpu', 'all', gpus);
    t.resetSilence(0);
    expect(t.silent(1e12, 'nvidia-smi')).toEqual([]);
  });

  it('a device without a power limit or uuid has no such keys at all on its present event', () => {
    const [first, second] = new DeviceTracker('rocm-smi', 'gpu', 'ROCR_VISIBLE_DEVICES', gpus).present(7);
    expect(first).toStrictEqual({
      kind: 'device',
      tMs: 7,
      deviceId: 'gpu0',
      component: 'gpu',
      source: 'rocm-smi',
      state: 'present',
      selectedBy: 'ROCR_VISIBLE_DEVICES',
    });
    expect(second).toStrictEqual({
      kind: 'device',
      tMs: 7,
      deviceId: 'gpu1',
      component: 'gpu',
      source: 'rocm-smi',
      state: 'present',
      reason: 'a MIG instance read through its GPU',
      uuid: 'GPU-b',
      selectedBy: 'ROCR_VISIBLE_DEVICES',
    });
  });

  it('a device component overrides the tracker component (RAPL dram is ram)', () => {
    const t = new DeviceTracker('rapl', 'cpu', 'all', [
      { deviceId: 'dram', label: 'dram', component: 'ram' },
    ]);
    expect(t.present(1)[0]?.component).toBe('ram');
  });

  it('the unsupported event joins the reason and the advice; a device not tracked gives nothing', () => {
    const t = new DeviceTracker('nvidia-smi', 'gpu', 'all', gpus);
    expect(t.unsupported('gpu0', 4, '[N/A]', ', so it is not measured')).toStrictEqual([
      {
        kind: 'device',
        tMs: 4,
        deviceId: 'gpu0',
        component: 'gpu',
        source: 'nvidia-smi',
        state: 'unsupported',
        reason: '[N/A], so it is not measured',
      },
    ]);
    expect(t.unsupported('gpu1', 4, '[Not Supported]')[0]?.reason).toBe('[Not Supported]');
    expect(t.unsupported('gpu7', 4, '[N/A]')).toEqual([]);
    expect(t.bad('gpu7', 4, 'x')).toEqual([]);
    expect(t.lost('gpu7', 4, 'x')).toEqual([]);
    expect(t.good('gpu7', 4)).toBe(false);
    expect(t.has('gpu7')).toBe(false);
    expect(t.has('gpu0')).toBe(true);
    // an unsupported device gives no bad readings, is never lost, and is not silent
    expect(t.bad('gpu0', 5, 'x')).toEqual([]);
    expect(t.lost('gpu0', 5, 'x')).toEqual([]);
  });

  it('a tracker with no device at all is not "none measurable"', () => {
    expect(new DeviceTracker('x', 'gpu', 'all', []).noneMeasurable()).toBeUndefined();
  });
});

describe('NoMeasurableDeviceError', () => {
  it('says each reason and what to do, in one message; its name is its class', () => {
    const t = new DeviceTracker('nvidia-smi', 'gpu', 'all', gpus);
    t.unsupported('gpu0', 1, 'GPU 0 has no sensor');
    t.unsupported('gpu1', 1, 'GPU 1 prints [N/A]');
    const err = t.noneMeasurable();
    expect(err).toBeInstanceOf(NoMeasurableDeviceError);
    expect(err?.name).toBe('NoMeasurableDeviceError');
    expect(err?.message).toBe(
      'nvidia-smi: none of the selected devices can be measured: GPU 0 has no sensor; GPU 1 prints [N/A]. ' +
        'Select other GPUs (--gpus, CUDA_VISIBLE_DEVICES) or use another probe (--probe estimate)',
    );
  });
});

describe('attachNotes joining', () => {
  it("a device's own note and the notes for it are joined with '; '", () => {
    const [a, b] = attachNotes(gpus, ['CUDA ignored gpu3', 'gpu1 is a MIG instance']);
    expect(a?.note).toBe('CUDA ignored gpu3');
    expect(b?.note).toBe('a MIG instance read through its GPU; gpu1 is a MIG instance');
  });

  it('a device no note concerns is returned as it was (no note key added)', () => {
    const [a, b] = attachNotes(gpus, ['gpu1 only']);
    expect(a).toStrictEqual({ deviceId: 'gpu0', label: 'GPU 0' });
    expect(b?.note).toBe('a MIG instance read through its GPU; gpu1 only');
  });
});

describe('DeviceTracker losses are said once (mutation tests)', () => {
  const silence = (): DeviceTracker =>
    new DeviceTracker('nvidia-smi', 'gpu', 'all', gpus, { lostAfterSilentMs: 100 });

  it('a device the tool said is lost says nothing more: no second loss, no bad reading, no silence', () => {
    const t = silence();
    t.resetSilence(0);
    t.good('gpu0', 0);
    expect(t.lost('gpu0', 10, 'GPU is lost').map((e) => [e.deviceId, e.state, e.reason])).toEqual([
      ['gpu0', 'lost', 'GPU is lost'],
    ]);
    expect(t.lost('gpu0', 20, 'GPU is lost')).toEqual([]);
    expect(t.bad('gpu0', 30, 'ERR!')).toEqual([]);
    t.good('gpu1', 500);
    expect(t.silent(500, 'nvidia-smi')).toEqual([]);
  });

  it('a device lost to silence is lost once: a later silence check, loss or bad reading adds nothing', () => {
    const t = silence();
    t.resetSilence(0);
    t.good('gpu0', 0);
    t.good('gpu1', 50);
    const lost = t.silent(101, 'nvidia-smi');
    expect(lost.map((e) => [e.deviceId, e.state, e.tMs])).toEqual([['gpu0', 'lost', 101]]);
    expect(lost[0]?.reason).toBe(
      'nvidia-smi stopped printing GPU 0 (nothing for 101 ms while it printed the other GPUs): it dropped out of ' +
        'the driver\'s list; check `dmesg` for "fallen off the bus"',
    );
    t.good('gpu1', 300);
    expect(t.silent(300, 'nvidia-smi')).toEqual([]);
    expect(t.lost('gpu0', 310, 'GPU is lost')).toEqual([]);
    expect(t.bad('gpu0', 320, 'ERR!')).toEqual([]);
  });

  it('an unsupported device is not silent: only the device that was measuring is lost to silence', () => {
    const t = silence();
    t.resetSilence(0);
    t.unsupported('gpu0', 0, '[N/A]');
    t.good('gpu1', 0);
    expect(t.silent(1000, 'rocm-smi').map((e) => [e.deviceId, e.state, e.reason])).toEqual([
      [
        'gpu1',
        'lost',
        'rocm-smi stopped printing GPU 1 (nothing for 1000 ms while it printed the other GPUs): it dropped out of ' +
          'the driver\'s list; check `dmesg` for "fallen off the bus"',
      ],
    ]);
  });
});
