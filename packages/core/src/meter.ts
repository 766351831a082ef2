// Runs probes for one measurement: every probe feeds one energy meter; per-probe and per-device reports and coverage.
import type { PowerSample, Probe, ProbeEvent } from '@eff/probes';
import { isPowerSample, MAX_INTERVAL_MS, nowMs } from '@eff/probes';
import { createEnergyMeter, DEFAULT_GAP_THRESHOLD_MS, type EnergyMeter } from './energy.js';
import type { MeteredDevice } from './metered-device.js';
import { deviceKey, type MeasuredProbe, ProbeSession } from './probe-session.js';
import type { EnergyByComponent, Gap, ProbeReport } from './schema.js';

export type { MeasuredProbe } from './probe-session.js';

/** Bad meter options or use (no probes, a non-positive interval, reading before the meter started). */
export class MeterError extends Error {
  readonly code = 'E_METER';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'MeterError';
  }
}

export interface MeterOptions {
  /** Sampling interval asked of every probe, in ms; raised to a probe's `minIntervalMs` (with a note in its report). */
  intervalMs: number;
  /** Longest time between two samples of one device still integrated across (ms). Default 5000. */
  gapThresholdMs?: number;
  /**
   * Default bound of waitCovered and waitFirstSamples, in ms. Default: max(3000, 5 × the slowest probe's interval)
   * for waitCovered, max(10000, 5 × …) for waitFirstSamples (a tool such as nvidia-smi or rocm-smi takes seconds
   * to deliver its first reading on a busy machine, and a command started before it has an uncovered start).
   */
  coverTimeoutMs?: number;
  /**
   * Called with every sample the meter accepted (after its energy meter took it; rejected and double-claimed
   * samples are not passed), in arrival order: live views such as `eff --metrics-port` read power from here
   * instead of subscribing to the probes a second time. An exception it throws is recorded as the probe's error
   * and does not stop the measurement.
   */
  onSample?: (sample: PowerSample) => void;
}

/** Energy spent between two instants over all probes, with everything that makes it uncertain. */
export interface MeterReading {
  startMs: number;
  endMs: number;
  /** Per component; `total` = system when present, else gpu + cpu + ram. */
  energyJ: EnergyByComponent;
  probes: MeasuredProbe[];
  /** Periods of some device with no data inside the interval; their energy is NOT included (lower bound). */
  gaps: Gap[];
  /** The authors' measure: plain sum of watt readings in the interval (not energy). */
  paperSumW: number;
  /** Some energy came from an estimate, not a hardware meter. */
  estimated: boolean;
  /** A probe failed or some device has a gap in the interval: energyJ is a lower bound. */
  degraded: boolean;
}

/** A running measurement. Create with startMeter; always stop() it (it kills the probes' child processes). */
export interface Meter {
  readonly intervalMs: number;
  /** Time the probes were subscribed. */
  readonly startedAtMs: number;
  /**
   * Energy in [startMs, endMs] from the samples received so far. A device whose last sample is before endMs
   * (a crashed probe, a reading not yet arrived) gets a gap for the missing tail: call waitCovered first.
   */
  energyBetween(startMs: number, endMs: number): MeterReading;
  /**
   * Best current guess of the energy in [startMs, tMs] without waiting: the samples so far, plus each live
   * device's last power held until tMs (at most gapThresholdMs). For stop decisions; records use energyBetween.
   */
  estimateEnergyUntil(startMs: number, tMs: number): EnergyByComponent;
  /**
   * Declares an instant later windows may start at even after the readings around it are released (a run's or a
   * baseline's start). The meter's start and every device's first reading are anchored already.
   */
  anchor(tMs: number): void;
  /**
   * Promises that no later window starts before tMs (except at an anchored instant) nor ends before it: readings
   * older than that are folded into running totals and freed, so memory stays bounded over a long session. Same
   * figures as without it; a window that breaks the promise throws FoldedInstantError. Returns readings freed.
   */
  releaseBefore(tMs: number): number;
  /** Entries held in memory for readings: the devices' readings plus each probe's sample times (bounded when releaseBefore advances). */
  readonly retainedSampleCount: number;
  /**
   * Earliest last-sample time over the live devices (not unsupported, not lost) of probes still running; null while
   * some running probe has delivered nothing to wait on; +Infinity when nothing is left to wait for.
   */
  coveredUntilMs(): number | null;
  /**
   * Resolves true once every running probe's devices have a sample at or after tMs, false after timeoutMs
   * (then energyBetween reports the missing tail as a gap). Probes that failed are not waited for.
   */
  waitCovered(tMs: number, timeoutMs?: number): Promise<boolean>;
  /**
   * Resolves with the instant every claimed, live device of every running probe has delivered a sample (the latest
   * first sample), or null after timeoutMs (a silent device then shows as `no-samples`, a gap).
   */
  waitFirstSamples(timeoutMs?: number): Promise<number | null>;
  /** One report per probe over [startMs, endMs] (default: from the start to now / the stop). */
  reports(startMs?: number, endMs?: number): ProbeReport[];
  /** Unsubscribes every probe (their teardown kills child processes) and returns the final reports. Idempotent. */
  stop(): Promise<ProbeReport[]>;
}

/**
 * Subscribes every probe at the larger of `intervalMs` and its own minimum, and integrates what they deliver. Each
 * device is tracked on its own (see ProbeSession, MeteredDevice, DeviceTrack): a device that is unsupported, lost or
 * silent is reported as such while the others keep being measured; a probe that errors is recorded (error text, its
 * devices lost from then on, a gap) while the others keep going: never a silently low energy.
 * Throws MeterError on an empty probe list or a bad interval.
 */
export function startMeter(probes: readonly Probe[], options: MeterOptions): Meter {
  if (!Array.isArray(probes) || probes.length === 0) {
    throw new MeterError(
      'startMeter needs at least one probe, found none; pass detectProbes() results or estimateProbe()',
      probes,
    );
  }
  const { intervalMs } = options;
  if (
    typeof intervalMs !== 'number' ||
    !Number.isFinite(intervalMs) ||
    intervalMs <= 0 ||
    intervalMs > MAX_INTERVAL_MS
  ) {
    throw new MeterError(
      `intervalMs must be a number > 0 and ≤ ${MAX_INTERVAL_MS} (one hour), found ${String(intervalMs)}`,
      intervalMs,
    );
  }
  return new ProbeMeter(probes, options);
}

/** Resolves waiters whose condition became true; each wait is bounded by a timeout. */
class Waiters {
  private readonly pending = new Set<() => void>();

  notify(): void {
    for (const w of [...this.pending]) w();
  }

  /** Resolves with `check()` once it is defined (checked now and at every notify), or `onTimeout` after timeoutMs. */
  waitFor<T>(check: () => T | undefined, timeoutMs: number, onTimeout: T): Promise<T> {
    return new Promise((resolve) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        const v = check();
        if (v === undefined) return;
        this.pending.delete(waiter);
        if (timer) clearTimeout(timer);
        resolve(v);
      };
      this.pending.add(waiter);
      timer = setTimeout(() => {
        this.pending.delete(waiter);
        resolve(onTimeout);
      }, timeoutMs);
    });
  }
}

/** The running measurement behind startMeter: routes each probe's events to its session and the energy meter. */
class ProbeMeter implements Meter {
  readonly intervalMs: number;
  readonly startedAtMs = nowMs();
  private readonly gapThresholdMs: number;
  private readonly onSample: ((sample: PowerSample) => void) | undefined;
  private readonly coverTimeoutMs: number;
  private readonly firstSampleTimeoutMs: number;
  private readonly sessions: ProbeSession[];
  private readonly energy: EnergyMeter;
  /** Which probe reads each device (a device read by two probes would be counted twice). */
  private readonly owner = new Map<string, ProbeSession>();
  private readonly waiters = new Waiters();
  /** Instants windows may start at after a release (see anchor). */
  private readonly anchors = new Set<number>();
  private releasedBeforeMs = Number.NEGATIVE_INFINITY;
  private stoppedAtMs: number | null = null;
  /** Default report window after stop: from the last first sample to the coverage reached at stop. */
  private stopWindow: [number, number] | null = null;
  /** Unsubscribing kills each probe's child; done even if the process exits without stop() (a crash). */
  private readonly onExit = () => {
    for (const st of this.sessions) st.sub?.unsubscribe();
  };

  constructor(probes: readonly Probe[], options: MeterOptions) {
    this.intervalMs = options.intervalMs;
    this.gapThresholdMs = options.gapThresholdMs ?? DEFAULT_GAP_THRESHOLD_MS;
    this.onSample = options.onSample;
    this.sessions = probes.map((probe) => new ProbeSession(probe, options.intervalMs));
    const slowestMs = Math.max(...this.sessions.map((s) => s.intervalMs));
    this.coverTimeoutMs = options.coverTimeoutMs ?? Math.max(3000, 5 * slowestMs);
    this.firstSampleTimeoutMs = options.coverTimeoutMs ?? Math.max(10_000, 5 * slowestMs);
    this.energy = createEnergyMeter({ gapThresholdMs: this.gapThresholdMs });
    this.anchor(this.startedAtMs);
    for (const st of this.sessions) this.subscribe(st);
    process.once('exit', this.onExit);
  }

  private subscribe(st: ProbeSession): void {
    try {
      st.sub = st.probe.samples({ intervalMs: st.intervalMs }).subscribe({
        next: (e) => this.onEvent(st, e),
        error: (err: unknown) =>
          this.endProbe(
            st,
            `${st.name} failed at ${new Date(nowMs()).toISOString()}: ${err instanceof Error ? err.message : String(err)}`,
          ),
        complete: () =>
          this.endProbe(
            st,
            `${st.name}: sample stream ended before the meter was stopped; later energy is missing`,
          ),
      });
    } catch (err) {
      this.endProbe(st, `${st.name} could not start: ${(err as Error).message}`);
    }
  }

  /** The session's device for this event, or null when another probe already reads that device. */
  private claim(st: ProbeSession, e: ProbeEvent): MeteredDevice | null {
    const key = deviceKey(e);
    const taken = this.owner.get(key);
    if (taken && taken !== st) {
      st.addError(
        `device ${e.deviceId} (${e.component}, source ${e.source}) is already read by probe ${taken.name}; ${isPowerSample(e) ? 'sample' : 'event'} ignored`,
      );
      return null;
    }
    this.owner.set(key, st);
    // Devices of one probe are read one after another: an edge shorter than its interval is skew, not a gap.
    return st.device(e, () => this.energy.configureDevice(e, { edgeHoldMs: st.intervalMs }));
  }

  private onEvent(st: ProbeSession, e: ProbeEvent): void {
    const dev = this.claim(st, e);
    if (!dev) return;
    if (isPowerSample(e)) {
      try {
        this.energy.push(e);
      } catch (err) {
        st.addError(`${st.name}: rejected a sample: ${(err as Error).message}`);
        return;
      }
      const firstOfDevice = dev.firstSampleMs === null;
      st.recordSample(dev, e.tMs, e.estimated);
      // The default report window starts at some device's first reading: keep it answerable after releases.
      if (firstOfDevice) this.anchor(e.tMs);
      this.notifySample(st, e);
    } else {
      if (dev.onEvent(e)) this.energy.deviceLost(dev, e.tMs);
      if (e.state === 'present' && e.powerLimitW !== undefined && e.powerLimitW > 0) {
        this.energy.configureDevice(e, { powerLimitW: e.powerLimitW });
      }
    }
    this.waiters.notify();
  }

  /** Hands an accepted sample to the onSample listener; its failure must not cost the measurement a reading. */
  private notifySample(st: ProbeSession, e: PowerSample): void {
    if (!this.onSample) return;
    try {
      this.onSample(e);
    } catch (err) {
      st.addError(`onSample listener failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A probe's stream ended (error or completion): its devices stop delivering from now on. */
  private endProbe(st: ProbeSession, message: string): void {
    if (!st.running) return;
    st.running = false;
    st.endedAtMs = nowMs();
    st.addError(message);
    for (const dev of st.devices.values()) {
      if (dev.lose(st.endedAtMs, message)) this.energy.deviceLost(dev, dev.lastSampleMs ?? st.endedAtMs);
    }
    this.waiters.notify();
  }

  coveredUntilMs(): number | null {
    let m = Number.POSITIVE_INFINITY;
    for (const st of this.sessions) {
      if (!st.running) continue;
      const c = st.coveredUntilMs();
      if (c === null) return null;
      m = Math.min(m, c);
    }
    return m;
  }

  /** The latest first reading over live devices: from then on every device that delivers has delivered. */
  private lastFirstSampleMs(): number {
    let t = this.startedAtMs;
    for (const st of this.sessions) {
      for (const d of st.devices.values())
        if (d.live && d.firstSampleMs !== null) t = Math.max(t, d.firstSampleMs);
    }
    return t;
  }

  /** [instant every device had started, instant every running device had reached], or up to now. */
  private defaultWindow(): [number, number] {
    if (this.stopWindow) return this.stopWindow;
    const a = this.lastFirstSampleMs();
    const c = this.coveredUntilMs();
    const now = this.stoppedAtMs ?? nowMs();
    // Never end before the release horizon: those readings are folded (the tail then shows as a gap).
    const b = Math.max(c === null || !Number.isFinite(c) ? now : Math.min(c, now), this.releasedBeforeMs);
    return [Math.min(a, b), b];
  }

  energyBetween(startMs: number, endMs: number): MeterReading {
    const iv = this.energy.energyBetween(startMs, endMs);
    const byKey = new Map(iv.devices.map((d) => [deviceKey(d), d]));
    const measured = this.sessions.map((st) => st.report(startMs, endMs, byKey));
    return {
      startMs,
      endMs,
      energyJ: iv.energyJ,
      probes: measured,
      gaps: measured.flatMap((p) => p.gaps),
      paperSumW: iv.paperSumW,
      estimated: iv.estimated || measured.some((p) => p.estimated && p.sampleCount > 0),
      degraded: measured.some((p) => p.degraded),
    };
  }

  estimateEnergyUntil(startMs: number, tMs: number): EnergyByComponent {
    // Energy alone: no gaps, counts or paper-sum, so a per-batch check does not grow with the session.
    return this.energy.energyJBetween(startMs, Math.max(startMs, tMs), { holdTailMs: this.gapThresholdMs });
  }

  anchor(tMs: number): void {
    this.anchors.add(tMs);
    this.energy.anchor(tMs);
  }

  releaseBefore(tMs: number): number {
    this.releasedBeforeMs = Math.max(this.releasedBeforeMs, tMs);
    for (const st of this.sessions) st.sampleTimes.fold(tMs, this.anchors);
    return this.energy.releaseBefore(tMs);
  }

  get retainedSampleCount(): number {
    let n = this.energy.retainedSampleCount;
    for (const st of this.sessions) n += st.sampleTimes.retained;
    return n;
  }

  waitCovered(tMs: number, timeoutMs = this.coverTimeoutMs): Promise<boolean> {
    return this.waiters.waitFor(
      () => {
        const c = this.coveredUntilMs();
        return c !== null && c >= tMs ? true : undefined;
      },
      timeoutMs,
      false,
    );
  }

  waitFirstSamples(timeoutMs = this.firstSampleTimeoutMs): Promise<number | null> {
    return this.waiters.waitFor(
      () =>
        this.sessions.some((st) => st.running && st.awaitingFirstSamples())
          ? undefined
          : this.lastFirstSampleMs(),
      timeoutMs,
      null,
    );
  }

  reports(startMs?: number, endMs?: number): ProbeReport[] {
    const [a, b] = startMs !== undefined && endMs !== undefined ? [startMs, endMs] : this.defaultWindow();
    return this.energyBetween(startMs ?? a, Math.max(endMs ?? b, startMs ?? a)).probes.map(
      ({ energyJ: _energy, ...report }) => report,
    );
  }

  async stop(): Promise<ProbeReport[]> {
    if (this.stoppedAtMs === null) {
      this.stoppedAtMs = nowMs();
      this.stopWindow = this.defaultWindow();
      for (const st of this.sessions) {
        st.sub?.unsubscribe();
        st.running = false;
      }
      process.off('exit', this.onExit);
      this.waiters.notify();
    }
    const [a, b] = this.stopWindow ?? this.defaultWindow();
    return this.reports(a, b);
  }
}
