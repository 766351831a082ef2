// energy.ts's checks, defaults and bookkeeping, pinned exactly (written against Stryker's survivors): error texts,
// which devices and anomalies a window holds, the meter's counters, the batch and streaming forms' edges.
import type { PowerSample } from '@eff/probes';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  counterSampleFromMicrojoules,
  createEnergyMeter,
  EnergyInputError,
  type EnergyInterval,
  energyBetweenMarks,
  integrateEnergy,
  microjoulesToJ,
  sumByComponent,
} from './energy.js';

const gpu0 = { deviceId: 'gpu0', component: 'gpu', source: 'nvidia-smi' } as const;

function p(tMs: number, powerW: number, deviceId = 'gpu0', estimated = false): PowerSample {
  return { kind: 'power', tMs, powerW, deviceId, component: 'gpu', source: 'nvidia-smi', estimated };
}

/** The EnergyInputError `f` throws (fails the test when it throws nothing or something else). */
function inputError(f: () => unknown): EnergyInputError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(EnergyInputError);
    expect((err as EnergyInputError).code).toBe('E_ENERGY_INPUT');
    return err as EnergyInputError;
  }
  throw new Error('expected an EnergyInputError, nothing was thrown');
}

describe('sample validation messages', () => {
  const m = () => createEnergyMeter();
  it('a sample that is not an object', () => {
    expect(inputError(() => m().push(null as unknown as PowerSample)).message).toBe(
      'expected a PowerSample, found null',
    );
    expect(inputError(() => m().push(7 as unknown as PowerSample)).message).toBe(
      'expected a PowerSample, found 7',
    );
  });
  it('a non-finite tMs names the device, component and time', () => {
    expect(inputError(() => m().push(p(Number.NaN, 5))).message).toBe(
      'tMs must be a finite number, found NaN (sample of gpu0 (gpu) at tMs=NaN)',
    );
    expect(inputError(() => m().push({ ...p(0, 5), tMs: '5' as unknown as number })).message).toBe(
      'tMs must be a finite number, found 5 (sample of gpu0 (gpu) at tMs=5)',
    );
  });
  it('an unknown component lists the four names', () => {
    expect(inputError(() => m().push({ ...p(0, 5), component: 'fan' as 'gpu' })).message).toBe(
      'component must be one of gpu/cpu/ram/system, found fan (sample of gpu0 (fan) at tMs=0)',
    );
  });
  it('an unknown kind', () => {
    expect(inputError(() => m().push({ ...p(0, 5), kind: 'heat' } as unknown as PowerSample)).message).toBe(
      "kind must be 'power' or 'energy', found heat",
    );
  });
  it('powerW 0 is a reading; negative energyJ and a zero rangeJ are not', () => {
    const ok = m();
    ok.push(p(0, 0));
    expect(ok.sampleCount).toBe(1);
    const c = {
      kind: 'energy',
      tMs: 0,
      deviceId: 'cpu0',
      component: 'cpu',
      source: 'rapl',
      estimated: false,
    } as const;
    expect(inputError(() => m().push({ ...c, energyJ: -1 })).message).toBe(
      'energyJ must be a finite number >= 0, found -1 (sample of cpu0 (cpu) at tMs=0); fix or drop the reading at its source.',
    );
    expect(inputError(() => m().push({ ...c, energyJ: 1, rangeJ: 0 })).message).toBe(
      'rangeJ must be a finite number > 0, found 0 (sample of cpu0 (cpu) at tMs=0); fix or drop the reading at its source.',
    );
    const counter = m();
    counter.push({ ...c, energyJ: 0, rangeJ: 10 });
    expect(counter.sampleCount).toBe(1);
    expect(inputError(() => m().push({ ...p(0, 1), powerW: '3' as unknown as number })).message).toMatch(
      /^powerW must be a finite number >= 0, found 3 /,
    );
  });
});

describe('meter options and settings', () => {
  it('gapThresholdMs must be > 0 (0 rejected), edgeHoldMs >= 0 (0 accepted)', () => {
    expect(inputError(() => createEnergyMeter({ gapThresholdMs: 0 })).message).toBe(
      'gapThresholdMs must be a finite number > 0, found 0 (energy options); fix or drop the reading at its source.',
    );
    expect(inputError(() => createEnergyMeter({ edgeHoldMs: -1 })).message).toMatch(
      /^edgeHoldMs must be a finite number >= 0, found -1 \(energy options\)/,
    );
    expect(createEnergyMeter({ edgeHoldMs: 0 }).sampleCount).toBe(0);
  });

  it('the default gap threshold is 5000 ms: a 5000 ms step is integrated, 5001 ms is a gap', () => {
    const m = createEnergyMeter();
    for (const t of [0, 5000, 10_001]) m.push(p(t, 10));
    const iv = m.energyBetween(0, 10_001);
    expect(iv.energyJ.gpu).toBe(50);
    expect(iv.gaps).toEqual([{ deviceId: 'gpu0', startMs: 5000, endMs: 10_001, durationMs: 5001 }]);
  });

  it('configureDevice checks its values and names the device', () => {
    const m = createEnergyMeter();
    expect(inputError(() => m.configureDevice(gpu0, { powerLimitW: 0 })).message).toBe(
      'powerLimitW must be a finite number > 0, found 0 (device gpu0); fix or drop the reading at its source.',
    );
    expect(inputError(() => m.configureDevice(gpu0, { edgeHoldMs: -5 })).message).toBe(
      'edgeHoldMs must be a finite number >= 0, found -5 (device gpu0); fix or drop the reading at its source.',
    );
    m.configureDevice(gpu0, { edgeHoldMs: 0 });
  });

  it('settings given before the first sample and in two calls both apply (edge hold here)', () => {
    const m = createEnergyMeter();
    m.configureDevice(gpu0, { powerLimitW: 300 });
    m.configureDevice(gpu0, { edgeHoldMs: 200 });
    // a configured device without samples is not a device of any window
    expect(m.devices()).toEqual([]);
    expect(m.energyBetween(0, 10).devices).toEqual([]);
    m.push(p(1000, 10));
    m.push(p(2000, 10));
    // edges of 200 ms on both sides are held at 10 W: 2.0 + 10 + 2.0 J, no gap
    const iv = m.energyBetween(800, 2200);
    expect(iv.energyJ.gpu).toBeCloseTo(14, 12);
    expect(iv.gaps).toEqual([]);
    // 201 ms is not held: a gap, and only the covered second counts
    const wide = m.energyBetween(799, 2000);
    expect(wide.energyJ.gpu).toBeCloseTo(10, 12);
    expect(wide.gaps).toEqual([{ deviceId: 'gpu0', startMs: 799, endMs: 1000, durationMs: 201 }]);
  });

  it('the default edge hold (options.edgeHoldMs) applies to every new device', () => {
    const m = createEnergyMeter({ edgeHoldMs: 500 });
    m.push(p(1000, 10));
    m.push(p(2000, 10));
    expect(m.energyBetween(500, 2500).energyJ.gpu).toBeCloseTo(20, 12);
    expect(m.energyBetween(500, 2500).gaps).toEqual([]);
  });
});

describe('windows', () => {
  it('a window must be finite and ordered; an empty window [t, t] is fine', () => {
    const m = createEnergyMeter();
    m.push(p(0, 10));
    expect(inputError(() => m.energyBetween(5, 4)).message).toBe(
      'an energy interval needs finite startMs <= endMs, found [5, 4]',
    );
    expect(inputError(() => m.energyBetween(Number.NaN, 4)).message).toMatch(/found \[NaN, 4\]/);
    expect(inputError(() => m.energyBetween(0, Number.POSITIVE_INFINITY)).message).toMatch(
      /found \[0, Infinity\]/,
    );
    expect(inputError(() => m.energyJBetween(5, 4)).message).toMatch(/found \[5, 4\]/);
    expect(m.energyBetween(0, 0).energyJ).toEqual({ total: 0, gpu: 0 });
  });

  it('paper-sum adds over devices; includeStart counts a sample at startMs', () => {
    const m = createEnergyMeter();
    for (const t of [0, 1000]) {
      m.push(p(t, 10));
      m.push(p(t, 30, 'gpu1'));
    }
    expect(m.energyBetween(0, 1000).paperSumW).toBe(40);
    expect(m.energyBetween(0, 1000, { includeStart: true }).paperSumW).toBe(80);
    const iv = m.energyBetween(0, 1000);
    expect(iv.energyJ).toEqual({ total: 40, gpu: 40 });
    expect(iv.devices.map((d) => [d.deviceId, d.energyJ])).toEqual([
      ['gpu0', 10],
      ['gpu1', 30],
    ]);
    expect(iv.estimated).toBe(false);
    expect(m.energyJBetween(0, 1000)).toEqual({ total: 40, gpu: 40 });
  });

  it('estimated when one device is; the gaps of every device are collected', () => {
    const m = createEnergyMeter();
    m.push(p(0, 10));
    m.push(p(1000, 10));
    m.push(p(500, 20, 'gpu1', true));
    m.push(p(1000, 20, 'gpu1', true));
    const iv = m.energyBetween(0, 1000);
    expect(iv.estimated).toBe(true);
    expect(iv.gaps).toEqual([{ deviceId: 'gpu1', startMs: 0, endMs: 500, durationMs: 500 }]);
  });

  it('holdTailMs holds the last power after the last reading for at most that long', () => {
    const m = createEnergyMeter();
    m.push(p(0, 10));
    m.push(p(1000, 10));
    expect(m.energyJBetween(0, 3000, { holdTailMs: 500 })).toEqual({ total: 15, gpu: 15 });
    expect(m.energyBetween(0, 3000, { holdTailMs: 500 }).energyJ).toEqual({ total: 15, gpu: 15 });
    expect(m.energyJBetween(0, 3000)).toEqual({ total: 10, gpu: 10 });
  });

  it("a window's anomalies are those at startMs <= tMs <= endMs", () => {
    const m = createEnergyMeter();
    const c = (tMs: number, energyJ: number): PowerSample => ({
      kind: 'energy',
      tMs,
      energyJ,
      deviceId: 'cpu0',
      component: 'cpu',
      source: 'rapl',
      estimated: false,
    });
    // a counter that goes down without a range at 2000: anomaly at 2000
    for (const s of [c(0, 0), c(1000, 10), c(2000, 5), c(3000, 15)]) m.push(s);
    const at = (a: number, b: number) => m.energyBetween(a, b).anomalies.map((x) => [x.kind, x.tMs]);
    expect(at(0, 3000)).toEqual([['counter-decrease', 2000]]);
    expect(at(2000, 3000)).toEqual([['counter-decrease', 2000]]);
    expect(at(1000, 2000)).toEqual([['counter-decrease', 2000]]);
    expect(at(0, 1999)).toEqual([]);
    expect(at(2001, 3000)).toEqual([]);
  });
});

describe('meter bookkeeping', () => {
  it('sampleCount, firstSampleMs (the earliest of any device), coveredUntilMs (the earliest last reading)', () => {
    const m = createEnergyMeter();
    expect(m.firstSampleMs()).toBeNull();
    expect(m.coveredUntilMs()).toBeNull();
    m.push(p(500, 1));
    m.push(p(200, 1, 'gpu1'));
    m.push(p(900, 1));
    m.push(p(700, 1, 'gpu1'));
    expect(m.sampleCount).toBe(4);
    expect(m.firstSampleMs()).toBe(200);
    expect(m.coveredUntilMs()).toBe(700);
    m.push(p(1200, 1, 'gpu1'));
    expect(m.coveredUntilMs()).toBe(900);
  });

  it('devices() lists each device with its method (an estimated device: estimate) and estimated flag', () => {
    const m = createEnergyMeter();
    m.push(p(0, 1, 'gpu0', true));
    m.push({
      kind: 'energy',
      tMs: 0,
      energyJ: 1,
      deviceId: 'cpu0',
      component: 'cpu',
      source: 'rapl',
      estimated: false,
    });
    expect(m.devices()).toEqual([
      { deviceId: 'gpu0', component: 'gpu', source: 'nvidia-smi', method: 'estimate', estimated: true },
      { deviceId: 'cpu0', component: 'cpu', source: 'rapl', method: 'counter', estimated: false },
    ]);
  });

  it('a lost device is a gap from its loss to its next reading', () => {
    const m = createEnergyMeter();
    m.push(p(0, 10));
    m.push(p(1000, 10));
    m.deviceLost(gpu0, 1000);
    m.push(p(1500, 10));
    m.push(p(2500, 10));
    const iv = m.energyBetween(0, 2500);
    expect(iv.energyJ.gpu).toBeCloseTo(20, 12);
    expect(iv.gaps).toEqual([{ deviceId: 'gpu0', startMs: 1000, endMs: 1500, durationMs: 500 }]);
  });

  it('anchor needs a finite instant; releaseBefore frees readings, never moves back, ignores NaN', () => {
    const m = createEnergyMeter();
    expect(inputError(() => m.anchor(Number.NaN)).message).toBe(
      'an anchor must be a finite instant, found NaN',
    );
    for (let t = 0; t <= 10_000; t += 1000) m.push(p(t, 10));
    for (let t = 0; t <= 10_000; t += 1000) m.push(p(t, 20, 'gpu1'));
    expect(m.retainedSampleCount).toBe(22);
    m.anchor(0);
    expect(m.releaseBefore(Number.NaN)).toBe(0);
    const freed = m.releaseBefore(5000);
    expect(freed).toBeGreaterThan(0);
    expect(m.retainedSampleCount).toBe(22 - freed);
    expect(m.releaseBefore(5000)).toBe(0);
    expect(m.releaseBefore(4000)).toBe(0);
    expect(m.retainedSampleCount).toBe(22 - freed);
    // windows from the anchor and after the horizon stay exact
    expect(m.energyBetween(0, 10_000).energyJ).toEqual({ total: 300, gpu: 300 });
    expect(m.energyBetween(6000, 10_000).energyJ).toEqual({ total: 120, gpu: 120 });
  });

  it('mark: the first call only sets the origin (an empty interval at it); marks must not go back', () => {
    const m = createEnergyMeter();
    m.push(p(0, 10));
    m.push(p(2000, 10));
    const first = m.mark(500);
    expect([first.startMs, first.endMs, first.energyJ.total]).toEqual([500, 500, 0]);
    const second = m.mark(1500);
    expect([second.startMs, second.endMs, second.energyJ.total]).toEqual([500, 1500, 10]);
    expect(m.mark(1500).energyJ.total).toBe(0);
    expect(inputError(() => m.mark(1499)).message).toBe(
      'marks must not go back in time: mark 1499 after 1500',
    );
  });
});

describe('sumByComponent', () => {
  it('total is system when a whole-machine device exists (even at 0 J), else gpu + cpu + ram', () => {
    expect(
      sumByComponent([
        { component: 'gpu', energyJ: 1 },
        { component: 'gpu', energyJ: 2 },
        { component: 'cpu', energyJ: 4 },
        { component: 'ram', energyJ: 8 },
      ]),
    ).toEqual({ total: 15, gpu: 3, cpu: 4, ram: 8 });
    expect(sumByComponent([{ component: 'ram', energyJ: 8 }])).toEqual({ total: 8, ram: 8 });
    expect(sumByComponent([{ component: 'cpu', energyJ: 4 }])).toEqual({ total: 4, cpu: 4 });
    expect(
      sumByComponent([
        { component: 'gpu', energyJ: 1 },
        { component: 'system', energyJ: 0 },
      ]),
    ).toEqual({ total: 0, gpu: 1, system: 0 });
    expect(sumByComponent([])).toEqual({ total: 0 });
  });
});

describe('integrateEnergy edges', () => {
  it('needs a non-empty array of samples', () => {
    expect(inputError(() => integrateEnergy([])).message).toBe(
      'integrateEnergy needs at least one sample, found an empty array; did the probe run?',
    );
    expect(inputError(() => integrateEnergy(undefined as unknown as PowerSample[])).message).toBe(
      'integrateEnergy needs at least one sample, found undefined; did the probe run?',
    );
  });

  it('the window defaults to [earliest, latest] sample over all devices, whatever their order', () => {
    const r = integrateEnergy([p(1000, 10, 'gpu1'), p(2000, 10, 'gpu1'), p(0, 10), p(3000, 10)]);
    expect([r.startMs, r.endMs]).toEqual([0, 3000]);
    expect(r.sampleCount).toBe(4);
    // includeStart: the samples at 0 and 1000 count in the paper-sum
    expect(r.paperSumW).toBe(40);
    expect(r.energyJ.gpu).toBeCloseTo(40, 12);
    expect(r.intervals).toEqual([]);
  });

  it('explicit startMs/endMs win; equal marks are allowed, decreasing ones name the index', () => {
    const s = [p(0, 10), p(1000, 10), p(2000, 10)];
    const r = integrateEnergy(s, { startMs: 500, endMs: 1500, marks: [0, 1000, 1000, 2000] });
    expect([r.startMs, r.endMs, r.energyJ.gpu]).toEqual([500, 1500, 10]);
    expect(r.intervals.map((iv) => [iv.startMs, iv.endMs, iv.energyJ.gpu])).toEqual([
      [0, 1000, 10],
      [1000, 1000, 0],
      [1000, 2000, 10],
    ]);
    expect(inputError(() => integrateEnergy(s, { marks: [0, 1000, 999] })).message).toBe(
      'marks must be increasing, found 999 after 1000 (index 2)',
    );
    expect(inputError(() => integrateEnergy(s, { marks: [0, Number.NaN] })).message).toMatch(
      /found NaN after 0/,
    );
  });
});

describe('microjoule helpers', () => {
  it('µJ -> J, and a counter sample with or without its range', () => {
    expect(microjoulesToJ(2_500_000)).toBe(2.5);
    const base = {
      tMs: 7,
      deviceId: 'package-0',
      component: 'cpu',
      source: 'rapl',
      energyUj: 3_000_000,
    } as const;
    expect(counterSampleFromMicrojoules(base)).toStrictEqual({
      kind: 'energy',
      tMs: 7,
      deviceId: 'package-0',
      component: 'cpu',
      source: 'rapl',
      estimated: false,
      energyJ: 3,
    });
    expect(
      counterSampleFromMicrojoules({ ...base, estimated: true, maxRangeUj: 262_143_328_850 }),
    ).toStrictEqual({
      kind: 'energy',
      tMs: 7,
      deviceId: 'package-0',
      component: 'cpu',
      source: 'rapl',
      estimated: true,
      energyJ: 3,
      rangeJ: 262_143.32885,
    });
  });
});

describe('energyBetweenMarks errors and teardown', () => {
  it('a bad sample, a mark back in time, and an error of either stream end the output with that error', () => {
    const run = (act: (samples: Subject<PowerSample>, marks: Subject<number>) => void) => {
      const samples = new Subject<PowerSample>();
      const marks = new Subject<number>();
      const out: EnergyInterval[] = [];
      let error: unknown;
      let completed = false;
      const sub = samples.pipe(energyBetweenMarks(marks)).subscribe({
        next: (x) => out.push(x),
        error: (e) => {
          error = e;
        },
        complete: () => {
          completed = true;
        },
      });
      act(samples, marks);
      return { out, error, completed, sub, samples, marks };
    };
    const bad = run((s) => s.next(p(Number.NaN, 1)));
    expect(bad.error).toBeInstanceOf(EnergyInputError);
    const back = run((s, m) => {
      s.next(p(0, 10));
      m.next(1000);
      m.next(500);
    });
    expect((back.error as Error).message).toBe('marks must not go back in time: mark 500 after 1000');
    expect(back.out).toEqual([]);
    const boom = new Error('probe died');
    expect(run((s) => s.error(boom)).error).toBe(boom);
    expect(run((_s, m) => m.error(boom)).error).toBe(boom);
    const done = run((s, m) => {
      s.next(p(0, 10));
      s.next(p(1000, 10));
      m.next(0);
      m.next(1000);
      s.complete();
    });
    expect(done.completed).toBe(true);
    expect(done.out.map((iv) => iv.energyJ.gpu)).toEqual([10]);
    // unsubscribing leaves both inputs without observers
    const open = run(() => {});
    expect(open.samples.observed).toBe(true);
    expect(open.marks.observed).toBe(true);
    open.sub.unsubscribe();
    expect(open.samples.observed).toBe(false);
    expect(open.marks.observed).toBe(false);
  });
});

describe('devices configured without readings, and settings given after the first reading (mutation tests)', () => {
  const cpu0 = { deviceId: 'cpu0', component: 'cpu', source: 'rapl' } as const;
  const counter = (tMs: number, energyJ: number): PowerSample => ({
    kind: 'energy',
    tMs,
    energyJ,
    deviceId: 'gpu0',
    component: 'gpu',
    source: 'nvidia-smi',
    estimated: false,
  });

  it('a configured device that never read adds no component, no device row, and does not hold back coverage', () => {
    const m = createEnergyMeter();
    m.push(p(0, 10));
    m.push(p(1000, 10));
    m.configureDevice(cpu0, { powerLimitW: 65 });
    expect(m.energyJBetween(0, 1000)).toEqual({ total: 10, gpu: 10 });
    expect(m.energyBetween(0, 1000).devices.map((d) => d.deviceId)).toEqual(['gpu0']);
    expect(m.coveredUntilMs()).toBe(1000);
  });

  it('a power limit given after the first counter reading judges the next step: 500 J in 1 s is over 1.5 × 100 W', () => {
    const m = createEnergyMeter();
    m.push(counter(0, 0));
    m.configureDevice(gpu0, { powerLimitW: 100 });
    m.push(counter(1000, 500));
    const iv = m.energyBetween(0, 1000);
    expect(iv.energyJ.total).toBe(0);
    expect(iv.anomalies.map((a) => a.kind)).toEqual(['counter-implausible']);
    // without a limit the 3000 W bound of a GPU applies: the same step is believed
    const free = createEnergyMeter();
    free.push(counter(0, 0));
    free.push(counter(1000, 500));
    expect(free.energyBetween(0, 1000).energyJ.total).toBe(500);
  });

  it("a power limit given after the first reading keeps the meter's edge hold", () => {
    const m = createEnergyMeter({ edgeHoldMs: 500 });
    m.push(p(100, 10));
    m.push(p(1000, 10));
    m.configureDevice(gpu0, { powerLimitW: 300 });
    // [0, 100] held at 10 W (1 J) + [100, 1000] at 10 W (9 J)
    const iv = m.energyBetween(0, 1000);
    expect(iv.energyJ.total).toBeCloseTo(10, 12);
    expect(iv.gaps).toEqual([]);
  });

  it("a window's refusal carries both ends as its value", () => {
    const err = inputError(() => createEnergyMeter().energyBetween(5, 3));
    expect(err.value).toEqual([5, 3]);
    expect(err.message).toBe('an energy interval needs finite startMs <= endMs, found [5, 3]');
  });
});
