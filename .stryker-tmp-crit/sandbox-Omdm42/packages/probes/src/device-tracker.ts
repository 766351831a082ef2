// @ts-nocheck
// Each device's fate within one polled probe (rocm-smi, RAPL): present, unsupported, lost and back, bad readings.
import type { Component, DeviceEvent } from './sample.js';

/** What a probe knows about a device when it first sees it. */
export interface TrackedDevice {
  deviceId: string;
  component: Component;
  uuid?: string;
  powerLimitW?: number;
  selectedBy?: string;
}

interface DeviceState extends TrackedDevice {
  lost: boolean;
}

/**
 * Turns what each poll saw of each device into DeviceEvents, so a probe's loop only says "read", "bad" or
 * "missing" per device and the rules live in one place:
 * - a device is `present` once, when first read, or `unsupported` (never read again) when it had no usable value;
 * - a device missing from a poll is `lost` once, at that poll's time; its next reading ends the loss;
 * - a device whose value this poll is unusable is a `bad-reading` for that poll only.
 * The tracker never errors: the probe decides, with `measurableCount`, whether anything is left to measure.
 */
export class DeviceTracker {
  private readonly devices = new Map<string, DeviceState>();
  private readonly unsupported = new Map<string, string>();

  constructor(private readonly source: string) {}

  /** Starts tracking `device` (it gave a usable value) and returns its `present` event. */
  present(device: TrackedDevice, tMs: number): DeviceEvent {
    this.devices.set(device.deviceId, { ...device, lost: false });
    const event: DeviceEvent = { ...this.base(device, tMs), state: 'present' };
    if (device.uuid !== undefined) event.uuid = device.uuid;
    if (device.powerLimitW !== undefined) event.powerLimitW = device.powerLimitW;
    if (device.selectedBy !== undefined) event.selectedBy = device.selectedBy;
    return event;
  }

  /** Marks `device` as there but never measurable (`reason` says what to do) and returns the event. */
  unsupportedDevice(device: TrackedDevice, tMs: number, reason: string): DeviceEvent {
    this.unsupported.set(device.deviceId, reason);
    const event: DeviceEvent = { ...this.base(device, tMs), state: 'unsupported', reason };
    if (device.uuid !== undefined) event.uuid = device.uuid;
    if (device.selectedBy !== undefined) event.selectedBy = device.selectedBy;
    return event;
  }

  /** Ids of the devices being measured (present, possibly lost for now), in the order they were first seen. */
  get trackedIds(): string[] {
    return [...this.devices.keys()];
  }

  /** Devices that are there but cannot be measured, with the reason. */
  get unmeasurable(): Array<{ deviceId: string; reason: string }> {
    return [...this.unsupported].map(([deviceId, reason]) => ({ deviceId, reason }));
  }

  /** Whether any device is being measured. */
  get measurableCount(): number {
    return this.devices.size;
  }

  /** The tracked device `deviceId`, if any. */
  get(deviceId: string): TrackedDevice | undefined {
    return this.devices.get(deviceId);
  }

  /** `deviceId` gave a usable value: ends a loss (a sample of a lost device ends it, so no event is needed). */
  read(deviceId: string): void {
    const state = this.devices.get(deviceId);
    if (state) state.lost = false;
  }

  /** `deviceId` gave nothing usable this poll: a `bad-reading` event with `reason`. */
  bad(deviceId: string, tMs: number, reason: string): DeviceEvent | undefined {
    const state = this.devices.get(deviceId);
    if (!state) return undefined;
    return { ...this.base(state, tMs), state: 'bad-reading', reason };
  }

  /** `deviceId` is gone from this poll: a `lost` event the first time, nothing while it stays gone. */
  missing(deviceId: string, tMs: number, reason: string): DeviceEvent | undefined {
    const state = this.devices.get(deviceId);
    if (!state || state.lost) return undefined;
    state.lost = true;
    return { ...this.base(state, tMs), state: 'lost', reason };
  }

  private base(device: TrackedDevice, tMs: number) {
    return {
      kind: 'device' as const,
      tMs,
      deviceId: device.deviceId,
      component: device.component,
      source: this.source,
    };
  }
}
