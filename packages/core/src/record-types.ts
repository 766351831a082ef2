// The public record types, written out with units and equations so editors show them on hover; checked at compile time to equal the zod schemas' inferred types.
import type { z } from 'zod';
import type {
  Carbon,
  DeviceReportSchema,
  EnergyBound,
  EnergyByComponentSchema,
  Environment,
  EpochRecordSchema,
  Gap,
  Prediction,
  ProbeReportSchema,
  RunConfig,
  RunRecordSchema,
  StopDecision,
} from './schema.js';

/** What a reading or an energy covers. `system` is a whole-machine figure that already contains the others. */
export type ComponentName = 'gpu' | 'cpu' | 'ram' | 'system';

/** Which accuracy an efficiency divides: on held-out test data, on validation data, or on the training data. */
export type AccuracyKind = 'test' | 'validation' | 'train';

/**
 * Energy per component, in joules (J): the integral of power over time, ∫ P dt (counters: the difference of two
 * counter readings). Components not measured are absent (never 0 J).
 */
export interface EnergyByComponent {
  /** GPU energy, J (every GPU the probes measured). */
  gpu?: number;
  /** CPU energy, J (RAPL package domains, or the estimate's TDP × load). */
  cpu?: number;
  /** Memory energy, J (RAPL dram domains, or the estimate's W per GiB × GiB installed). */
  ram?: number;
  /** Whole-machine energy, J (battery or wall meter): already contains gpu, cpu and ram. */
  system?: number;
  /** Total energy, J: `system` when a whole-machine reading exists, else gpu + cpu + ram. */
  total: number;
}

/** One device's fate in a measurement: whether it was measured, how, and how much of the window it covers. */
export interface DeviceReport {
  /** The device's id within its probe, e.g. `gpu0`, `GPU-3f2c…`, `intel-rapl:0`, `cpu`. */
  deviceId: string;
  component: ComponentName;
  /**
   * `measured`: readings cover the window (apart from `uncoveredMs`); `unsupported`: present but unmeasurable (its
   * energy is not in the totals); `lost`: stopped delivering readings at `lostAtMs`; `no-samples`: claimed by the
   * probe but delivered nothing (a gap, never 0 J).
   */
  status: 'measured' | 'unsupported' | 'lost' | 'no-samples';
  /** Where the joules came from: an energy counter (difference of readings), power readings integrated over time (trapezoids), or an estimate (TDP × load). */
  method?: 'counter' | 'power' | 'estimate';
  /** This device's energy inside the window, J. */
  energyJ: number;
  /** Readings of this device inside the window. */
  sampleCount: number;
  /** Time inside the window without usable data for this device, ms: its energy there is missing from `energyJ`. */
  uncoveredMs: number;
  /** When the device stopped delivering readings (ms, the monotonic clock of the gaps), for `lost`. */
  lostAtMs?: number;
  /**
   * Largest error of the trapezoid rule over this device's power readings, J: Σ |P_i+1 − P_i| · Δt / 2 under monotone
   * power between readings (0 over a counter's span). Absent for the estimate and in records written before it.
   */
  samplingBoundJ?: number;
  /** Unusable readings (non-numeric, unknown error) skipped inside the window. */
  badReadingCount?: number;
  /** Why it is not (fully) measured, or why the method changed (e.g. a frozen energy counter). */
  reason?: string;
  /** Why this device was measured: `option` (gpus / --gpus), the variable that selected it (`CUDA_VISIBLE_DEVICES`, …) or `all`. */
  selectedBy?: string;
  /** Vendor id (`GPU-…` UUID, PCI bus id), to tell devices apart across tools. */
  uuid?: string;
}

/** One probe's part in a measurement: what it measured, how often, what went wrong. */
export interface ProbeReport {
  /** Registry name: `nvml`, `nvidia-smi`, `rocm-smi`, `rapl`, `powerstat`, `powertop`, `estimate`, or a user probe's. */
  name: string;
  /** Components it reports. */
  components: ComponentName[];
  /** True when its numbers are estimates (TDP × load), not hardware measurements. */
  estimated: boolean;
  /** Readings it delivered inside the window (0: the window was shorter than its interval, see `notes`). */
  sampleCount: number;
  /** Devices that delivered readings. */
  devices: string[];
  /** Stretches without data (its energy there is missing: the totals are a lower bound). */
  gaps: Gap[];
  /** Errors it raised (tool exited, permission denied, …). */
  errors: string[];
  /** True when energy is missing (a gap, a failure) or extrapolated (no reading inside the window). */
  degraded: boolean;
  /** Interval it actually sampled at, ms (a request below the probe's minimum is raised to it). */
  intervalMs?: number;
  /** Each device's status, method and energy. */
  deviceReports: DeviceReport[];
  /** What the user should know that is not an error (interval raised, run shorter than the interval, …). */
  notes: string[];
  /**
   * An estimating probe's assumptions: CPU power = `tdpW` × (0.1 + 0.9 × load), load of the `machine` or of this
   * `process`; RAM power = GiB installed × `ramWPerGB`.
   */
  estimate?: { tdpW: number; ramWPerGB: number; loadScope: 'machine' | 'process' };
}

/** One epoch of a run: accuracies, losses, time, energy, and the efficiency curve's point (Eq. 2). */
export interface EpochRecord {
  /** 1-based epoch number i. */
  epoch: number;
  /** Accuracy on the training data after epoch i, in [0, 1]; null when not measured or not finite. */
  trainAccuracy: number | null;
  /** Accuracy on the validation data after epoch i, in [0, 1]; null when not measured or not finite. */
  validationAccuracy: number | null;
  /** Accuracy on the test data after epoch i (from `evaluate`), in [0, 1]; null when not measured or not finite. */
  testAccuracy: number | null;
  /** Loss on the training data; null when not measured or not finite (see `nonFinite`). */
  trainLoss: number | null;
  /** Loss on the validation data; null when not measured or not finite. */
  validationLoss: number | null;
  /** Loss on the test data; null when not measured or not finite. */
  testLoss: number | null;
  /** Values that were not finite in this epoch (the run diverged): field → `NaN`, `Infinity` or `-Infinity`. */
  nonFinite?: Record<string, string>;
  /** This epoch's wall time, ms (end of the previous epoch to the end of this one). */
  durationMs: number;
  /** Wall time since training started, ms. */
  elapsedMs: number;
  /** Energy spent in this epoch, J: ∫ P dt over [end of epoch i−1, end of epoch i]. */
  energyJ: EnergyByComponent;
  /** Energy spent up to the end of this epoch, E_i, J. */
  cumulativeEnergyJ: EnergyByComponent;
  /** The original authors' measure: the plain sum of watt readings up to this epoch, W (not energy: no Δt). */
  cumulativePaperSumW?: number;
  /**
   * Eq. 2, the efficiency curve: eff_i = acc_i / E_i, accuracy per joule (1/J), with acc_i the accuracy named by
   * `efficiencyAccuracy` and E_i = `cumulativeEnergyJ.total`. 0 when the epoch has no finite accuracy or E_i is 0.
   */
  efficiency: number;
  /** Which accuracy Eq. 2 divided (for an epoch without a finite accuracy: the one it would have used). */
  efficiencyAccuracy: AccuracyKind;
  /** Energy-to-finish prediction made after this epoch (remaining J and ms with an interval, and the baseline's). */
  prediction?: Prediction;
}

/**
 * A run's outcome. `accuracy`, `accuracyOn`, `trainAccuracy` and `efficiency` come from the last epoch with a finite
 * accuracy; `energyJ` and `durationMs` cover every epoch kept.
 */
export interface RunFinal {
  /** Epochs trained (and recorded). */
  epochs: number;
  /** acc, the final accuracy, in [0, 1], of the kind `accuracyOn` says. */
  accuracy: number;
  /** Which accuracy `accuracy` (and so `efficiency`) is: test, validation or train. */
  accuracyOn: AccuracyKind;
  /** Training accuracy of the same epoch, in [0, 1] (the overtraining check compares it with the test accuracy). */
  trainAccuracy: number | null;
  /** E, the run's total energy per component, J. */
  energyJ: EnergyByComponent;
  /** Energy minus idle power × duration (E − P_idle · t), J, when a baseline was measured. */
  energyAboveIdleJ?: EnergyByComponent;
  /** The original authors' measure: the plain sum of watt readings over the run, W (not energy). */
  paperSumW?: number;
  /**
   * Eq. 1, the training efficiency: acc / E, accuracy per joule (1/J), with E = `energyJ.total`. Multiply by 1000
   * for accuracy per kJ, the unit reports show. 0 when no energy was measured.
   */
  efficiency: number;
  /** Wall time of the whole run, ms. */
  durationMs: number;
  /** What stopped training: the criterion, `maxEpochs`, `diverged`, `error` or `user`. */
  stoppedBy: StopDecision;
  /** True when energy is missing (a probe failed or had gaps) or extrapolated (run shorter than the interval): a lower bound. */
  degraded: boolean;
  /** True when any joule came from an estimate (TDP × load), not a hardware meter. */
  estimated: boolean;
  /** Components whose energy is the whole node's, not attributable to this run (CPU/RAM on a shared node). */
  sharedComponents?: ComponentName[];
  /**
   * Interval [lowJ, highJ] on `energyJ.total` from the sensors' accuracy, the sampling and the estimate's bound, J, with
   * each device's part (`devices`: probe, deviceId, method, belowJ, aboveJ) when it was recorded.
   */
  energyBoundJ?: EnergyBound;
  /** Grams CO2e = energy (kWh) × grid intensity (g/kWh) × PUE, with the intensity's source and year. */
  carbon?: Carbon;
}

/** One training run, as measureEfficiency returns it and results.jsonl stores it (one line each). */
export interface RunRecord {
  /** Version of this shape (RESULT_SCHEMA_VERSION). */
  schemaVersion: 1;
  /** Stable id: by default the hash of `config`, so a resumed grid skips finished runs. */
  runId: string;
  /**
   * `completed`: ended by its criterion or the epoch cap; `diverged`: a non-finite loss or accuracy ended it (a
   * result); `failed`: an error ended it (see `error`).
   */
  status: 'completed' | 'diverged' | 'failed';
  /** Why it failed, for `failed`. */
  error?: string;
  /** ISO 8601 time the session was created. */
  startedAt: string;
  /** ISO 8601 time the record was made. */
  endedAt: string;
  /** What was trained: architecture, size, dataset, criterion, epoch cap, hyper-parameters. */
  config: RunConfig;
  /** Where: host, OS, CPU, memory, GPUs, Node, tfjs backend and threads, package versions, scheduler placement. */
  environment: Environment;
  /** Each probe's report: what measured, how often, which devices, gaps and errors. */
  probes: ProbeReport[];
  /** Idle power measured before training (`baselineMs`): duration ms, mean power W per component, energy J. */
  baseline?: { durationMs: number; powerW: Record<string, number>; energyJ: EnergyByComponent };
  /** Every epoch, in order. */
  epochs: EpochRecord[];
  /** The outcome: accuracy, energy, Eq. 1 efficiency, what stopped it, and its labels (estimated, degraded). */
  final: RunFinal;
  /** Energy-to-finish predictions made after epochs 1, 2, 3, 5 and 10 (those the run reached). */
  predictions?: Prediction[];
}

/** True when A and B are the same type (mutually assignable and identical in optionality and readonly-ness). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// One place of truth: if a schema changes and these interfaces do not (or the reverse), this fails to compile.
// Stryker disable all: a compile-time check; any change to it fails `tsc -b`, which no runtime test can see
const sameAsSchemas: [
  Equal<EnergyByComponent, z.infer<typeof EnergyByComponentSchema>>,
  Equal<DeviceReport, z.infer<typeof DeviceReportSchema>>,
  Equal<ProbeReport, z.infer<typeof ProbeReportSchema>>,
  Equal<EpochRecord, z.infer<typeof EpochRecordSchema>>,
  Equal<RunFinal, z.infer<typeof RunRecordSchema>['final']>,
  Equal<RunRecord, z.infer<typeof RunRecordSchema>>,
] = [true, true, true, true, true, true];
// Stryker restore all
void sameAsSchemas;
