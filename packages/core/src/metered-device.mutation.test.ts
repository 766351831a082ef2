// MeteredDevice's events and its report over a window, shape by shape (Stryker survivors and uncovered mutants).
import type { DeviceEvent } from '@eff/probes';
import { describe, expect, it } from 'vitest';
import type { DeviceEnergy } from './device-track.js';
import { MeteredDevice } from './metered-device.js';

const dev = () => new MeteredDevice('k', 'gpu0', 'gpu', 'nvidia-smi');
const ev = (state: DeviceEvent['state'], tMs: number, extra: Partial<DeviceEvent> = {}): DeviceEvent => ({
  kind: 'device',
  tMs,
  deviceId: 'gpu0',
  component: 'gpu',
  source: 'nvidia-smi',
  state,
  ...extra,
});
const energy = (extra: Partial<DeviceEnergy> = {}): DeviceEnergy => ({
  deviceId: 'gpu0',
  component: 'gpu',
  source: 'nvidia-smi',
  method: 'power',
  estimated: false,
  energyJ: 12,
  sampleCount: 5,
  gaps: [],
  uncoveredMs: 0,
  ...extra,
});

describe('MeteredDevice (mutation tests)', () => {
  it('present: uuid, selection and note kept', () => {
    const d = dev();
    expect(
      d.onEvent(ev('present', 0, { uuid: 'GPU-a', selectedBy: 'all', powerLimitW: 300, reason: 'MIG' })),
    ).toBe(false);
    expect([d.uuid, d.selectedBy, d.presentNote]).toEqual(['GPU-a', 'all', 'MIG']);
    expect(d.live).toBe(true);
    expect(d.hasSamples).toBe(false);
  });

  it('unsupported before any reading: its report says so, no gap, bad readings counted in the window', () => {
    const d = dev();
    d.onEvent(ev('present', 0, { selectedBy: 'all', uuid: 'GPU-a' }));
    d.onEvent(ev('bad-reading', 5, { reason: 'ERR!' }));
    expect(d.onEvent(ev('unsupported', 10, { reason: '[N/A]' }))).toBe(false);
    expect(d.live).toBe(false);
    expect(d.report(undefined, 0, 100)).toStrictEqual({
      report: {
        deviceId: 'gpu0',
        component: 'gpu',
        selectedBy: 'all',
        uuid: 'GPU-a',
        status: 'unsupported',
        energyJ: 0,
        sampleCount: 0,
        uncoveredMs: 0,
        reason: '[N/A]',
        badReadingCount: 1,
      },
      gaps: [],
    });
    // the bad reading at 5 is outside [6, 100]
    expect(d.report(undefined, 6, 100).report).not.toHaveProperty('badReadingCount');
  });

  it('an event without a reason gets one naming its state and source', () => {
    const d = dev();
    d.onEvent(ev('unsupported', 1));
    expect(d.unsupportedReason).toBe('unsupported (no reason given by nvidia-smi)');
  });

  it('unsupported after readings is a loss; a loss is kept at its earliest time; a reading resumes it', () => {
    const d = dev();
    d.onSample(10);
    expect(d.onEvent(ev('unsupported', 20, { reason: '[N/A]' }))).toBe(true);
    expect(d.onEvent(ev('lost', 30, { reason: 'off the bus' }))).toBe(false);
    expect([d.loss, d.live]).toEqual([{ atMs: 20, reason: '[N/A]' }, false]);
    d.onSample(40);
    expect(d.resumed).toEqual([{ lostAtMs: 20, resumedAtMs: 40, reason: '[N/A]' }]);
    expect([d.loss, d.live, d.firstSampleMs, d.lastSampleMs]).toEqual([null, true, 10, 40]);
  });

  it('claimed without readings: the whole window is its gap, the loss reason in its report; an empty window none', () => {
    const d = dev();
    d.onEvent(ev('present', 0));
    d.onEvent(ev('lost', 50, { reason: 'GPU is lost' }));
    expect(d.report(undefined, 0, 100)).toStrictEqual({
      report: {
        deviceId: 'gpu0',
        component: 'gpu',
        status: 'no-samples',
        energyJ: 0,
        sampleCount: 0,
        uncoveredMs: 100,
        reason: 'claimed by nvidia-smi but delivered no readings (GPU is lost); its energy is missing',
      },
      gaps: [{ startMs: 0, endMs: 100, durationMs: 100, deviceId: 'gpu0' }],
    });
    const empty = d.report(undefined, 100, 100);
    expect(empty.gaps).toEqual([]);
    expect(empty.report.uncoveredMs).toBe(0);
    expect(dev().report(undefined, 0, 10).report.reason).toBe(
      'claimed by nvidia-smi but delivered no readings; its energy is missing',
    );
  });

  it('measured: every reason joined with "; "; lost only when the loss is inside the window', () => {
    const d = dev();
    d.onEvent(ev('present', 0, { reason: 'a MIG instance' }));
    d.onSample(0);
    d.onEvent(ev('bad-reading', 10, { reason: 'ERR!' }));
    d.onEvent(ev('bad-reading', 20, { reason: 'Unknown Error' }));
    d.onEvent(ev('lost', 1000, { reason: 'off the bus' }));
    const gaps = [{ startMs: 1000, endMs: 2000, durationMs: 1000, deviceId: 'gpu0' }];
    expect(d.report(energy({ reason: 'counter frozen', gaps, uncoveredMs: 1000 }), 0, 2000)).toStrictEqual({
      report: {
        deviceId: 'gpu0',
        component: 'gpu',
        status: 'lost',
        method: 'power',
        energyJ: 12,
        sampleCount: 5,
        uncoveredMs: 1000,
        lostAtMs: 1000,
        reason: `a MIG instance; lost at ${new Date(1000).toISOString()}: off the bus; counter frozen; 2 unusable readings (last: Unknown Error)`,
        badReadingCount: 2,
      },
      gaps,
    });
    expect(d.report(energy(), 0, 1000).report.status).toBe('lost');
    const before = d.report(energy(), 0, 999).report;
    expect(before.status).toBe('measured');
    expect(before).not.toHaveProperty('lostAtMs');
    expect(d.report(energy(), 15, 999).report.reason).toBe(
      'a MIG instance; 1 unusable reading (last: Unknown Error)',
    );
    const plain = dev();
    plain.onSample(0);
    expect(plain.report(energy(), 0, 10).report).not.toHaveProperty('reason');
  });

  it('a later present without a note keeps the note; bad readings exactly at the window edges count', () => {
    const d = dev();
    d.onEvent(ev('present', 0, { reason: 'a MIG instance' }));
    d.onEvent(ev('present', 1));
    expect(d.presentNote).toBe('a MIG instance');
    d.onSample(0);
    for (const t of [10, 20, 30]) d.onEvent(ev('bad-reading', t, { reason: `bad at ${t}` }));
    expect(d.report(energy(), 10, 20).report.badReadingCount).toBe(2);
    expect(d.report(energy(), 11, 19).report).not.toHaveProperty('badReadingCount');
    expect(d.report(energy(), 20, 25).report.badReadingCount).toBe(1);
  });
});
