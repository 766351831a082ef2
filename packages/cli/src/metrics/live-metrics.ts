// The series `eff run|measure --metrics-port` exposes, fed by the meter's samples, its joules and the runs' epochs.
import type { EnergyByComponent, EpochRecord, RunConfig } from '@eff/core';
import type { Component, PowerSample } from '@eff/probes';
import { nowMs } from '@eff/probes';
import { Counter, Gauge, Registry } from 'prom-client';
import { EffCliError } from '../errors.js';

/** A LiveMetrics method called on metrics of the wrong kind (run series on `eff measure`'s metrics): a bug. */
export class MetricsUsageError extends EffCliError {
  constructor(message: string) {
    super('E_METRICS_USAGE', message, 1);
  }
}

/** What the exposition serves: `eff run` adds the run series to the power and energy that both commands have. */
export type LiveMetricsKind = 'run' | 'measure';

/** How a run ended, as `eff_runs_total{status}` counts it (a RunRecord's status). */
export type RunStatus = 'completed' | 'diverged' | 'failed';

const RUN_STATUSES: readonly RunStatus[] = ['completed', 'diverged', 'failed'];
const ENERGY_COMPONENTS: readonly Component[] = ['gpu', 'cpu', 'ram', 'system'];

export interface LiveMetricsOptions {
  kind: LiveMetricsKind;
  /**
   * A device's power gauge is dropped once its last reading is older than this (ms), so a lost device or a
   * stopped probe does not show a stale watt figure. Default 5000 (the meter's default gap threshold).
   */
  staleAfterMs?: number;
  /** Clock for staleness, ms (see nowMs); tests pass their own. */
  now?: () => number;
}

/** The run shown by `eff_run_info` and the per-epoch gauges. */
export type LiveRunInfo = Pick<RunConfig, 'architecture' | 'size'> & {
  runId: string;
  criterion: RunConfig['criterion'];
};

/** Latest power per device, and the previous counter value to turn an energy counter into watts. */
interface DeviceState {
  labels: { device: string; component: Component; probe: string };
  lastMs: number;
  counter?: { tMs: number; energyJ: number };
}

/**
 * The live exposition of one eff process, as Prometheus text (format 0.0.4) from its own prom-client Registry (no
 * process-wide default registry, so tests and library users can hold several). Series, all in base units
 * (https://prometheus.io/docs/practices/naming/):
 * - `eff_power_watts{device,component,probe}` gauge: the latest power reading of each live device, W; an energy
 *   counter's device shows the counter's rate between its last two readings (ΔJ/Δs).
 * - `eff_energy_joules_total{component}` counter: the joules eff records, per component (gpu, cpu, ram, system;
 *   the record's `total` is not a label value: it is `system` when present, else gpu + cpu + ram).
 * - `eff run` only: `eff_run_info{run_id,architecture,size,criterion}` (1 for the run in progress), `eff_epoch`,
 *   `eff_accuracy{split}` (train/validation/test, in [0, 1]), `eff_efficiency_accuracy_per_joule` (Eq. 2, the
 *   epoch's accuracy / cumulative total energy in J) and `eff_runs_total{status}`.
 * - `eff_energy_to_finish_joules` gauge, registered by the first setEnergyToFinish call: no series until a
 *   prediction exists (issue 14), never a placeholder value.
 */
export class LiveMetrics {
  readonly registry = new Registry();
  readonly kind: LiveMetricsKind;
  private readonly staleAfterMs: number;
  private readonly now: () => number;
  private readonly power: Gauge<'device' | 'component' | 'probe'>;
  private readonly energy: Counter<'component'>;
  private readonly devices = new Map<string, DeviceState>();
  /** Joules already counted per component: the counter only ever grows by the difference to a new total. */
  private readonly countedJ = new Map<Component, number>();
  private energySource: (() => EnergyByComponent | null) | null = null;
  private run: {
    info: Gauge<'run_id' | 'architecture' | 'size' | 'criterion'>;
    epoch: Gauge;
    accuracy: Gauge<'split'>;
    efficiency: Gauge;
    runs: Counter<'status'>;
  } | null = null;
  private energyToFinish: Gauge | null = null;

  constructor(options: LiveMetricsOptions) {
    this.kind = options.kind;
    this.staleAfterMs = options.staleAfterMs ?? 5000;
    this.now = options.now ?? nowMs;
    const self = this;
    this.power = new Gauge({
      name: 'eff_power_watts',
      help: 'Latest power reading of a device, in watts (an energy counter: its rate between the last two readings).',
      labelNames: ['device', 'component', 'probe'],
      registers: [this.registry],
      collect() {
        self.dropStaleDevices();
      },
    });
    this.energy = new Counter({
      name: 'eff_energy_joules_total',
      help: 'Energy eff has integrated so far, per component, in joules (the figures its records hold).',
      labelNames: ['component'],
      registers: [this.registry],
      collect() {
        self.pullEnergy();
      },
    });
    if (this.kind === 'run') this.run = this.registerRunSeries();
  }

  private registerRunSeries() {
    const registers = [this.registry];
    const runs = new Counter({
      name: 'eff_runs_total',
      help: 'Runs this eff run process finished, by outcome (completed, diverged, failed).',
      labelNames: ['status'],
      registers,
    });
    // Every outcome exists from the start at 0, so rate() and increase() see the first run of each.
    for (const status of RUN_STATUSES) runs.inc({ status }, 0);
    const epoch = new Gauge({
      name: 'eff_epoch',
      help: 'Epochs the current run has finished (0 before its first).',
      registers,
    });
    epoch.set(0);
    return {
      info: new Gauge({
        name: 'eff_run_info',
        help: 'The run in progress (value 1): its id, architecture, size and stopping criterion.',
        labelNames: ['run_id', 'architecture', 'size', 'criterion'],
        registers,
      }),
      epoch,
      accuracy: new Gauge({
        name: 'eff_accuracy',
        help: 'Accuracy of the current run after its latest epoch, in [0, 1], per split (train, validation, test).',
        labelNames: ['split'],
        registers,
      }),
      // 0 before a run's first epoch, as an epoch record without a finite accuracy has it.
      efficiency: new Gauge({
        name: 'eff_efficiency_accuracy_per_joule',
        help: "Eq. 2 after the current run's latest epoch: accuracy / cumulative total energy, per joule (0 before its first epoch).",
        registers,
      }),
      runs,
    };
  }

  /** Records an accepted power sample (MeterOptions.onSample): the device's power gauge follows it. */
  observeSample(s: PowerSample): void {
    const key = `${s.source}\u0000${s.component}\u0000${s.deviceId}`;
    let dev = this.devices.get(key);
    if (!dev) {
      dev = { labels: { device: s.deviceId, component: s.component, probe: s.source }, lastMs: s.tMs };
      this.devices.set(key, dev);
    }
    if (s.kind === 'power') {
      dev.lastMs = s.tMs;
      this.power.set(dev.labels, s.powerW);
      return;
    }
    const prev = dev.counter;
    dev.counter = { tMs: s.tMs, energyJ: s.energyJ };
    // A counter's first reading, a wrap or a reset gives no rate: the gauge waits for the next step.
    if (!prev || s.tMs <= prev.tMs || s.energyJ < prev.energyJ) return;
    dev.lastMs = s.tMs;
    this.power.set(dev.labels, (s.energyJ - prev.energyJ) / ((s.tMs - prev.tMs) / 1000));
  }

  /**
   * Raises the energy counter to these joules per component (a total since the command or grid began, as the meter
   * integrated it). A component that went down (a window's final figure a hair below a live one) stays where it is:
   * a Prometheus counter never decreases.
   */
  setEnergyJ(totals: EnergyByComponent): void {
    for (const component of ENERGY_COMPONENTS) {
      const j = totals[component];
      if (j === undefined || !Number.isFinite(j)) continue;
      const before = this.countedJ.get(component) ?? 0;
      if (j > before) {
        this.energy.inc({ component }, j - before);
        this.countedJ.set(component, j);
      } else if (!this.countedJ.has(component)) {
        // A component eff measures shows from its first figure on, even at 0 J.
        this.energy.inc({ component }, 0);
        this.countedJ.set(component, 0);
      }
    }
  }

  /** Adds joules per component (an epoch's recorded energy) to the counter. */
  addEnergyJ(delta: EnergyByComponent): void {
    const totals: EnergyByComponent = { total: 0 };
    for (const component of ENERGY_COMPONENTS) {
      const j = delta[component];
      if (j !== undefined) totals[component] = (this.countedJ.get(component) ?? 0) + j;
    }
    this.setEnergyJ(totals);
  }

  /**
   * Reads the energy at every scrape from `source` (e.g. the meter's energyBetween up to its coverage), so the
   * counter is the meter's own integration at that moment; null means nothing measured yet.
   */
  pullEnergyFrom(source: () => EnergyByComponent | null): void {
    this.energySource = source;
  }

  private pullEnergy(): void {
    const totals = this.energySource?.();
    if (totals) this.setEnergyJ(totals);
  }

  private dropStaleDevices(): void {
    const now = this.now();
    for (const [key, dev] of this.devices) {
      if (now - dev.lastMs > this.staleAfterMs) {
        this.power.remove(dev.labels);
        this.devices.delete(key);
      }
    }
  }

  /** A run of the grid starts: `eff_run_info` names it, its epoch is 0 and the previous run's accuracies go. */
  runStarted(run: LiveRunInfo): void {
    const r = this.requireRun('runStarted');
    r.info.reset();
    r.accuracy.reset();
    r.efficiency.reset();
    r.epoch.set(0);
    r.info.set(
      {
        run_id: run.runId,
        architecture: run.architecture,
        size: String(run.size),
        criterion: run.criterion.label ?? run.criterion.name,
      },
      1,
    );
  }

  /** An epoch record of the current run: epoch, accuracies, Eq. 2 efficiency, and its joules to the counter. */
  epochEnded(e: EpochRecord): void {
    const r = this.requireRun('epochEnded');
    r.epoch.set(e.epoch);
    const splits = {
      train: e.trainAccuracy,
      validation: e.validationAccuracy,
      test: e.testAccuracy,
    } as const;
    for (const [split, value] of Object.entries(splits)) {
      if (value === null) r.accuracy.remove({ split });
      else r.accuracy.set({ split }, value);
    }
    r.efficiency.set(e.efficiency);
    this.addEnergyJ(e.energyJ);
  }

  /** The current run ended with this status: counted, and no run is shown as in progress until the next starts. */
  runEnded(status: RunStatus): void {
    const r = this.requireRun('runEnded');
    r.runs.inc({ status });
    r.info.reset();
  }

  /**
   * The current prediction of the joules still to be spent before the run's criterion stops it (issue 14). The
   * gauge `eff_energy_to_finish_joules` exists from the first call on; `null` (no prediction any more, e.g. the run
   * ended) removes its value again.
   */
  setEnergyToFinish(energyJ: number | null): void {
    if (energyJ === null) {
      // Unregistered rather than reset: a label-less gauge that is reset shows 0, a value nobody predicted.
      if (this.energyToFinish) this.registry.removeSingleMetric('eff_energy_to_finish_joules');
      this.energyToFinish = null;
      return;
    }
    this.energyToFinish ??= new Gauge({
      name: 'eff_energy_to_finish_joules',
      help: 'Predicted energy the current run will still spend until its stopping criterion ends it, in joules.',
      registers: [this.registry],
    });
    this.energyToFinish.set(energyJ);
  }

  /** The exposition, Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private requireRun(what: string) {
    if (!this.run) {
      throw new MetricsUsageError(
        `LiveMetrics.${what} is for 'run' metrics (eff run); these are '${this.kind}' metrics: create them with kind 'run'`,
      );
    }
    return this.run;
  }
}
