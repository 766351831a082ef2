// A probe's sample counts across releaseBefore (anchored, unanchored and late anchors) and the report of a probe that
// delivered nothing, through startMeter with a probe the test feeds (written against Stryker's uncovered mutants).
import type { DeviceEvent, PowerSample, ProbeEvent } from '@eff/probes';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { startMeter } from './meter.js';
import { ProbeSession } from './probe-session.js';
import { FoldedInstantError } from './reading-series.js';

function fedProbe(events: Subject<ProbeEvent>) {
  return {
    name: 'fed',
    components: ['gpu' as const],
    estimated: false,
    check: async () => ({ available: true }),
    samples: () => events.asObservable(),
  };
}

function pw(tMs: number, powerW: number): PowerSample {
  return { kind: 'power', tMs, deviceId: 'gpu0', component: 'gpu', source: 'fed', estimated: false, powerW };
}

/** The FoldedInstantError `f` throws. */
function folded(f: () => unknown): FoldedInstantError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(FoldedInstantError);
    return err as FoldedInstantError;
  }
  throw new Error('expected a FoldedInstantError');
}

describe('sample counts across releases (mutation tests)', () => {
  it('a window from an anchor keeps its exact count after one and two releases; others throw', async () => {
    const events = new Subject<ProbeEvent>();
    const m = startMeter([fedProbe(events)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    // 100 W every 100 ms over [t0, t0 + 3 s]: 31 readings
    for (let k = 0; k <= 30; k++) events.next(pw(t0 + 100 * k, 100));
    const count = (a: number, b: number) => m.energyBetween(t0 + a, t0 + b).probes[0]?.sampleCount;
    m.anchor(t0 + 1000);
    expect(count(1000, 3000)).toBe(21);
    const retainedBefore = m.retainedSampleCount;
    const freed = m.releaseBefore(t0 + 2000);
    expect(freed).toBeGreaterThan(0);
    // besides the readings the energy meter freed, the probe's 20 sample times before the horizon (t0 .. t0 + 1.9 s)
    expect(retainedBefore - m.retainedSampleCount).toBe(freed + 20);
    // an anchored start keeps its count: 10 folded (1000..1900) + 11 kept (2000..3000)
    expect(count(1000, 3000)).toBe(21);
    expect(m.energyBetween(t0 + 1000, t0 + 3000).energyJ.total).toBeCloseTo(200, 9);
    expect(count(0, 3000)).toBe(31);
    // a start at or after the horizon counts the kept times only, both ends inclusive
    expect(count(2000, 3000)).toBe(11);
    expect(count(2000, 2000)).toBe(1);
    // an unanchored start before the horizon, or an end before it, is the caller's bug
    const err = folded(() => m.energyBetween(t0 + 500, t0 + 3000));
    expect(err.code).toBe('E_FOLDED_INSTANT');
    expect(err.name).toBe('FoldedInstantError');
    expect(err.message).toBe(
      `energy at ${t0 + 500} ms was asked for, but readings before ${t0 + 2000} ms were folded into running totals; ` +
        'anchor that instant (anchor(tMs)) before releasing the readings around it (releaseBefore)',
    );
    folded(() => m.energyBetween(t0 + 1000, t0 + 1500));
    // an anchor set after its readings were folded does not make its window answerable
    m.anchor(t0 + 1500);
    // releasing at or before the horizon again changes nothing
    expect(m.releaseBefore(t0 + 2000)).toBe(0);
    expect(m.releaseBefore(t0 + 1000)).toBe(0);
    expect(count(1000, 3000)).toBe(21);
    // a second release adds 2000..2400 (5) to the anchor's folded count
    m.anchor(t0 + 2800);
    expect(m.releaseBefore(t0 + 2500)).toBeGreaterThan(0);
    expect(count(1000, 3000)).toBe(21);
    expect(count(0, 3000)).toBe(31);
    expect(count(2500, 3000)).toBe(6);
    expect(count(2800, 3000)).toBe(3);
    folded(() => m.energyBetween(t0 + 1500, t0 + 3000));
    folded(() => m.energyBetween(t0 + 2000, t0 + 3000));
    await m.stop();
  });

  it('a probe that delivered nothing: the whole window is its gap; an empty window has none', async () => {
    const events = new Subject<ProbeEvent>();
    const m = startMeter([fedProbe(events)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    const r = m.energyBetween(t0, t0 + 1000);
    const probe = r.probes[0];
    expect(probe?.gaps).toEqual([{ startMs: t0, endMs: t0 + 1000, durationMs: 1000 }]);
    expect(probe?.notes).toContain('fed delivered no readings at all; its energy is missing');
    expect(probe?.degraded).toBe(true);
    const empty = m.energyBetween(t0, t0).probes[0];
    expect(empty?.gaps).toEqual([]);
    expect(empty?.degraded).toBe(false);
    await m.stop();
  });

  it("an estimate's assumptions travel with its report, as a copy; a measuring probe's report has none", async () => {
    const events = new Subject<ProbeEvent>();
    const assumptions = { tdpW: 65, ramWPerGB: 0.375, loadScope: 'machine' as const };
    const estimating = { ...fedProbe(events), name: 'est', estimated: true, estimate: assumptions };
    const plain = new Subject<ProbeEvent>();
    const m = startMeter([estimating, fedProbe(plain)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    const [est, fed] = m.energyBetween(t0, t0 + 100).probes;
    expect(est?.estimate).toEqual({ tdpW: 65, ramWPerGB: 0.375, loadScope: 'machine' });
    expect(est?.estimate).not.toBe(assumptions);
    expect(fed).not.toHaveProperty('estimate');
    await m.stop();
  });

  it('errors: the first 20 kept, the rest counted; an estimated sample makes the probe estimated', async () => {
    const events = new Subject<ProbeEvent>();
    const m = startMeter([fedProbe(events)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    events.next(pw(t0, 10));
    for (let k = 1; k <= 23; k++) events.next(pw(t0 + k, Number.NaN));
    events.next({ ...pw(t0 + 100, 10), estimated: true });
    const probe = m.energyBetween(t0, t0 + 100).probes[0];
    expect(probe?.errors).toHaveLength(21);
    expect(probe?.errors[0]).toMatch(
      /^fed: rejected a sample: powerW must be a finite number >= 0, found NaN/,
    );
    expect(probe?.errors[20]).toBe('... and 3 more errors');
    expect(probe?.estimated).toBe(true);
    await m.stop();
  });
});

describe("a probe session's sample times on their own (mutation tests)", () => {
  // Through the meter the energy meter refuses a folded window before the session is asked; the session keeps the
  // same rule for its own counts, tested here directly. Readings at 0, 100, ..., 1000 ms (11).
  function session(): ProbeSession {
    const s = new ProbeSession(fedProbe(new Subject<ProbeEvent>()), 100);
    for (let t = 0; t <= 1000; t += 100) s.sampleTimes.push(t);
    return s;
  }

  it('an anchor keeps its folded count; an unanchored start, or an end before the horizon, throws', () => {
    const s = session().sampleTimes;
    s.fold(500, [200]);
    expect(s.retained).toBe(6); // 500 .. 1000
    expect(s.countIn(200, 1000)).toBe(9); // 200, 300, 400 folded + 6 kept
    expect(s.countIn(200, 500)).toBe(4);
    expect(s.countIn(500, 700)).toBe(3);
    expect(folded(() => s.countIn(100, 1000)).message).toMatch(
      /^energy at 100 ms was asked for, but readings before 500 ms/,
    );
    expect(folded(() => s.countIn(200, 400)).message).toMatch(
      /^energy at 200 ms was asked for, but readings before 500 ms/,
    );
  });

  it('an anchor set after its readings were folded gets no count: its window still throws after the next fold', () => {
    const s = session().sampleTimes;
    s.fold(500, []);
    s.fold(800, [300, 500, 600]);
    expect(s.retained).toBe(3); // 800, 900, 1000
    expect(s.countIn(600, 1000)).toBe(5); // 600, 700 folded + 3 kept
    // an anchor exactly at the old horizon had nothing folded before it: 500, 600, 700 folded + 3 kept
    expect(s.countIn(500, 1000)).toBe(6);
    expect(folded(() => s.countIn(300, 1000)).message).toMatch(
      /^energy at 300 ms was asked for, but readings before 800 ms/,
    );
  });
});

describe('what the meter waits for, per probe session (mutation tests)', () => {
  const gpu = (deviceId: string) => ({ deviceId, component: 'gpu' as const, source: 'fed' });
  const present = (deviceId: string, state: DeviceEvent['state'], tMs: number): DeviceEvent => ({
    kind: 'device',
    tMs,
    ...gpu(deviceId),
    state,
    reason: 'no sensor',
  });

  it('coveredUntilMs: null before any device or while only unsampled live devices; the earliest last reading; +Infinity when none is live', () => {
    const s = new ProbeSession(fedProbe(new Subject<ProbeEvent>()), 100);
    const created: string[] = [];
    const onNew = (d: { deviceId: string }) => created.push(d.deviceId);
    expect([s.coveredUntilMs(), s.awaitingFirstSamples()]).toEqual([null, true]);
    const g0 = s.device(gpu('gpu0'), onNew);
    expect([s.coveredUntilMs(), s.awaitingFirstSamples()]).toEqual([null, true]);
    s.recordSample(g0, 100, false);
    expect([s.coveredUntilMs(), s.awaitingFirstSamples()]).toEqual([100, false]);
    const g1 = s.device(gpu('gpu1'), onNew);
    // gpu1 is live but has not read: it is waited for, and it does not lower gpu0's coverage
    expect([s.coveredUntilMs(), s.awaitingFirstSamples()]).toEqual([100, true]);
    s.recordSample(g1, 300, false);
    s.recordSample(g0, 200, false);
    expect([s.coveredUntilMs(), s.awaitingFirstSamples()]).toEqual([200, false]);
    expect(s.device(gpu('gpu0'), onNew)).toBe(g0);
    expect(created).toEqual(['gpu0', 'gpu1']);
    g0.lose(250, 'gone');
    expect(s.coveredUntilMs()).toBe(300);
    g1.lose(350, 'gone');
    expect([s.coveredUntilMs(), s.awaitingFirstSamples()]).toEqual([Number.POSITIVE_INFINITY, false]);
  });

  it('a probe whose only device is unsupported is not waited for', () => {
    const s = new ProbeSession(fedProbe(new Subject<ProbeEvent>()), 100);
    s.device(gpu('gpu0'), () => {}).onEvent(present('gpu0', 'unsupported', 0));
    expect([s.coveredUntilMs(), s.awaitingFirstSamples()]).toEqual([Number.POSITIVE_INFINITY, false]);
  });

  it("a probe's report: its devices, its own energy and notes, exactly", async () => {
    const events = new Subject<ProbeEvent>();
    const m = startMeter([fedProbe(events)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    events.next(present('gpu1', 'present', t0));
    for (let k = 0; k <= 10; k++) events.next(pw(t0 + 100 * k, 10));
    const probe = m.energyBetween(t0, t0 + 1000).probes[0];
    // gpu0: 10 W for 1 s; gpu1 claimed, silent: a whole-window gap
    expect(probe?.energyJ).toEqual({ total: 10, gpu: 10 });
    expect(probe?.deviceReports.map((r) => [r.deviceId, r.status])).toEqual([
      ['gpu1', 'no-samples'],
      ['gpu0', 'measured'],
    ]);
    expect(probe?.notes).toEqual(['gpu1: claimed by fed but delivered no readings; its energy is missing']);
    expect(probe?.gaps).toEqual([{ deviceId: 'gpu1', startMs: t0, endMs: t0 + 1000, durationMs: 1000 }]);
    expect(probe?.devices).toEqual(['gpu0']);
    await m.stop();
  });

  it('a probe whose only device is claimed and silent: the device is the gap, not the whole probe', async () => {
    const events = new Subject<ProbeEvent>();
    const m = startMeter([fedProbe(events)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    events.next(present('gpu1', 'present', t0));
    const probe = m.energyBetween(t0, t0 + 1000).probes[0];
    expect(probe?.notes).toEqual(['gpu1: claimed by fed but delivered no readings; its energy is missing']);
    expect(probe?.gaps).toEqual([{ deviceId: 'gpu1', startMs: t0, endMs: t0 + 1000, durationMs: 1000 }]);
    expect(probe?.energyJ).toEqual({ total: 0 });
    await m.stop();
  });

  it('a probe whose only device is unsupported delivered nothing: the whole window is its gap', async () => {
    const events = new Subject<ProbeEvent>();
    const m = startMeter([fedProbe(events)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    events.next(present('gpu0', 'unsupported', t0));
    const probe = m.energyBetween(t0, t0 + 1000).probes[0];
    expect(probe?.notes).toEqual([
      'gpu0 not measured: no sensor',
      'fed delivered no readings at all; its energy is missing',
    ]);
    expect(probe?.gaps).toEqual([{ startMs: t0, endMs: t0 + 1000, durationMs: 1000 }]);
    await m.stop();
  });

  it('a probe that delivered has no notes or errors of its own, and names its components', async () => {
    const events = new Subject<ProbeEvent>();
    const m = startMeter([fedProbe(events)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    for (let k = 0; k <= 10; k++) events.next(pw(t0 + 100 * k, 10));
    const probe = m.energyBetween(t0, t0 + 1000).probes[0];
    expect([probe?.notes, probe?.errors, probe?.components]).toEqual([[], [], ['gpu']]);
    await m.stop();
  });

  it('a loss that ended is noted in every window that holds part of it, edges included, and in no other', async () => {
    const events = new Subject<ProbeEvent>();
    const m = startMeter([fedProbe(events)], { intervalMs: 100 });
    const t0 = m.startedAtMs;
    // readings over [t0, t0 + 1 s], lost at t0 + 1 s, readings again from t0 + 2 s to t0 + 3 s
    for (let k = 0; k <= 10; k++) events.next(pw(t0 + 100 * k, 10));
    events.next({ ...present('gpu0', 'lost', t0 + 1000), reason: 'fell off the bus' });
    for (let k = 20; k <= 30; k++) events.next(pw(t0 + 100 * k, 10));
    const note = `gpu0 lost at ${new Date(t0 + 1000).toISOString()} (fell off the bus), readings resumed at ${new Date(t0 + 2000).toISOString()}`;
    const notes = (a: number, b: number) => m.energyBetween(t0 + a, t0 + b).probes[0]?.notes ?? [];
    expect(notes(0, 3000)).toContain(note);
    expect(notes(2000, 3000)).toContain(note); // starts at the resumption
    expect(notes(0, 1000)).toContain(note); // ends at the loss
    expect(notes(0, 900)).not.toContain(note);
    expect(notes(2100, 3000)).not.toContain(note);
    await m.stop();
  });
});
