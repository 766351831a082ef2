// One device's fate inside a multi-device probe: present, measured, unsupported, lost at t, bad readings.
import { ProbeUnavailableError } from './errors.js';
import type { Component, DeviceEvent } from './sample.js';

/** A device a probe was asked to read, as it will appear in its events. */
export interface TrackedDevice {
  /** The probe's id, e.g. `gpu1`. */
  deviceId: string;
  /** How a user recognises it in messages, e.g. `GPU 1 (GPU-5e6f…, NVIDIA A100)`. */
  label: string;
  uuid?: string;
  powerLimitW?: number;
  /** What the user should know about why or how this device is read (a MIG instance read through its GPU), sent
   * as the `present` event's reason. */
  note?: string;
  /** The device's component when it differs from the tracker's (RAPL: package is `cpu`, dram is `ram`). */
  component?: Component;
}

/**
 * No selected device of the probe can be measured (every one is unsupported: no sensor, `[N/A]`, NOT_SUPPORTED).
 * `devices` names each with its reason; the message says the same in one sentence per device.
 */
export class NoMeasurableDeviceError extends ProbeUnavailableError {
  readonly devices: ReadonlyArray<{ deviceId: string; reason: string }>;
  constructor(source: string, devices: ReadonlyArray<{ deviceId: string; reason: string }>) {
    super(
      `${source}: none of the selected devices can be measured: ${devices.map((d) => d.reason).join('; ')}. ` +
        'Select other GPUs (--gpus, CUDA_VISIBLE_DEVICES) or use another probe (--probe estimate)',
    );
    this.name = 'NoMeasurableDeviceError';
    this.devices = devices;
  }
}

/**
 * Gives each device the notes that concern it, for its `present` event: a note naming a device (`gpu1` as a word)
 * goes to that device, the others (entries ignored, an order assumed) to the first device, so each is said once.
 */
export function attachNotes(devices: readonly TrackedDevice[], notes: readonly string[]): TrackedDevice[] {
  const names = (note: string, d: TrackedDevice): boolean =>
    new RegExp(`(^|[^A-Za-z0-9_-])${d.deviceId}($|[^A-Za-z0-9_-])`).test(note);
  return devices.map((device, i) => {
    const own = notes.filter((n) => names(n, device) || (i === 0 && !devices.some((d) => names(n, d))));
    return own.length > 0 ? { ...device, note: [device.note, ...own].filter(Boolean).join('; ') } : device;
  });
}

export interface DeviceTrackerOptions {
  /** Unusable readings in a row after which the device counts as lost (until a good reading). Default 3. */
  lostAfterBadReadings?: number;
  /**
   * A device that delivers nothing (no row, no error) for this long while the probe itself is alive is lost.
   * Default: never (a polled probe that reads every device on each tick has no silent device).
   */
  lostAfterSilentMs?: number;
}

type Phase = 'waiting' | 'measuring' | 'unsupported' | 'lost';

interface DeviceState {
  device: TrackedDevice;
  phase: Phase;
  lastSeenMs: number;
  badInARow: number;
  unsupportedReason?: string;
}

/**
 * Keeps each device's state apart from the others' and says which DeviceEvents (sample.ts) to emit. Pure: the
 * caller passes every time and emits what the methods return, before the reading's sample if there is one.
 * - `present()` once at start: a `present` event per device;
 * - `good()`: a usable reading (ends a loss; the sample itself tells the meter);
 * - `unsupported()`: the tool says the value does not exist (`[N/A]`): `unsupported` when it is the device's first
 *   word, a bad reading when the device had been measured (a sensor does not vanish; the reading failed);
 * - `bad()`: one unusable reading; `lostAfterBadReadings` in a row make it `lost`;
 * - `lost()`: the tool says the device is gone (GPU is lost, fell off the bus);
 * - `silent(tMs)`: devices that printed nothing for `lostAfterSilentMs` become `lost`.
 */
export class DeviceTracker {
  private readonly states = new Map<string, DeviceState>();
  private readonly lostAfterBadReadings: number;
  private readonly lostAfterSilentMs: number;

  constructor(
    private readonly source: string,
    private readonly component: Component,
    private readonly selectedBy: string,
    devices: readonly TrackedDevice[],
    options: DeviceTrackerOptions = {},
  ) {
    this.lostAfterBadReadings = options.lostAfterBadReadings ?? 3;
    this.lostAfterSilentMs = options.lostAfterSilentMs ?? Number.POSITIVE_INFINITY;
    for (const device of devices) {
      this.states.set(device.deviceId, { device, phase: 'waiting', lastSeenMs: 0, badInARow: 0 });
    }
  }

  /** Whether the probe reads this device (rows of other devices are ignored). */
  has(deviceId: string): boolean {
    return this.states.has(deviceId);
  }

  /** The `present` event of every device, stamped `tMs` (also the start of each device's silence clock). */
  present(tMs: number): DeviceEvent[] {
    return [...this.states.values()].map((s) => {
      s.lastSeenMs = tMs;
      return this.event(s, tMs, 'present', s.device.note, {
        ...(s.device.uuid ? { uuid: s.device.uuid } : {}),
        ...(s.device.powerLimitW !== undefined ? { powerLimitW: s.device.powerLimitW } : {}),
        selectedBy: this.selectedBy,
      });
    });
  }

  /** A usable reading of `deviceId` at `tMs`; false when the probe does not read that device. */
  good(deviceId: string, tMs: number): boolean {
    const s = this.states.get(deviceId);
    if (!s || s.phase === 'unsupported') return false;
    s.phase = 'measuring';
    s.lastSeenMs = tMs;
    s.badInARow = 0;
    return true;
  }

  /**
   * The tool reports the value as not available on this device: `reason` says what it printed, `advice` what the user
   * can do (on the event only; NoMeasurableDeviceError gives one advice for all).
   */
  unsupported(deviceId: string, tMs: number, reason: string, advice = ''): DeviceEvent[] {
    const s = this.states.get(deviceId);
    if (!s) return [];
    if (s.phase !== 'waiting') return this.bad(deviceId, tMs, reason);
    s.phase = 'unsupported';
    s.lastSeenMs = tMs;
    s.unsupportedReason = reason;
    return [this.event(s, tMs, 'unsupported', `${reason}${advice}`)];
  }

  /** One unusable reading (unknown error, non-numeric); enough of them in a row make the device lost. */
  bad(deviceId: string, tMs: number, reason: string): DeviceEvent[] {
    const s = this.states.get(deviceId);
    if (!s || s.phase === 'unsupported') return [];
    s.lastSeenMs = tMs;
    if (s.phase === 'lost') return [];
    s.badInARow += 1;
    const events = [this.event(s, tMs, 'bad-reading', reason)];
    if (s.badInARow >= this.lostAfterBadReadings) {
      s.phase = 'lost';
      events.push(
        this.event(
          s,
          tMs,
          'lost',
          `${s.device.label} gave ${s.badInARow} unusable readings in a row (last: ${reason}); ` +
            'it is counted as lost until it reads again',
        ),
      );
    }
    return events;
  }

  /** The tool says the device is gone; `reason` quotes it. */
  lost(deviceId: string, tMs: number, reason: string): DeviceEvent[] {
    const s = this.states.get(deviceId);
    if (!s || s.phase === 'unsupported' || s.phase === 'lost') return [];
    s.phase = 'lost';
    s.lastSeenMs = tMs;
    return [this.event(s, tMs, 'lost', reason)];
  }

  /** Starts every device's silence clock at `tMs` (when the tool's first output arrives: start-up is not silence). */
  resetSilence(tMs: number): void {
    for (const s of this.states.values()) s.lastSeenMs = tMs;
  }

  /** Devices that said nothing for longer than `lostAfterSilentMs` before `tMs`: each becomes lost now. */
  silent(tMs: number, tool: string): DeviceEvent[] {
    const events: DeviceEvent[] = [];
    for (const s of this.states.values()) {
      if (s.phase === 'unsupported' || s.phase === 'lost') continue;
      if (tMs - s.lastSeenMs > this.lostAfterSilentMs) {
        s.phase = 'lost';
        events.push(
          this.event(
            s,
            tMs,
            'lost',
            `${tool} stopped printing ${s.device.label} (nothing for ${Math.round(tMs - s.lastSeenMs)} ms while ` +
              'it printed the other GPUs): it dropped out of the driver\'s list; check `dmesg` for "fallen off the bus"',
          ),
        );
      }
    }
    return events;
  }

  /** NoMeasurableDeviceError when every device is unsupported, else undefined (some may still be measured). */
  noneMeasurable(): NoMeasurableDeviceError | undefined {
    const all = [...this.states.values()];
    if (all.length === 0 || !all.every((s) => s.phase === 'unsupported')) return undefined;
    return new NoMeasurableDeviceError(
      this.source,
      all.map((s) => ({ deviceId: s.device.deviceId, reason: s.unsupportedReason ?? 'unsupported' })),
    );
  }

  private event(
    s: DeviceState,
    tMs: number,
    state: DeviceEvent['state'],
    reason: string | undefined,
    extra: Partial<DeviceEvent> = {},
  ): DeviceEvent {
    return {
      kind: 'device',
      tMs,
      deviceId: s.device.deviceId,
      component: s.device.component ?? this.component,
      source: this.source,
      state,
      ...(reason !== undefined ? { reason } : {}),
      ...extra,
    };
  }
}
