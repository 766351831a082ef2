// The versioned JSON shape of one training run: what measureEfficiency writes and reports read.
import { z } from 'zod';

export const RESULT_SCHEMA_VERSION = 1;

// The record types are written out, with units and equations, in record-types.ts (checked there to equal these
// schemas' inferred types): zod's inferred types would drop every comment from the emitted .d.ts.
export type {
  AccuracyKind,
  ComponentName,
  DeviceReport,
  EnergyByComponent,
  EpochRecord,
  ProbeReport,
  RunFinal,
  RunRecord,
} from './record-types.js';

const accuracy = z.number().min(0).max(1);
const nonNegative = z.number().nonnegative();

/**
 * Energy per component in joules. `total` is `system` when a whole-machine reading exists
 * (it already contains the rest), otherwise gpu + cpu + ram.
 */
export const EnergyByComponentSchema = z.object({
  gpu: nonNegative.optional(),
  cpu: nonNegative.optional(),
  ram: nonNegative.optional(),
  system: nonNegative.optional(),
  total: nonNegative,
});

export const StoppingCriterionConfigSchema = z.object({
  /** `fixedEpochs` | `accuracyTarget` | `earlyStopping` | `energyBudget` | `anyOf` | `allOf` | user-defined. */
  name: z.string().min(1),
  /** The criterion's options as given, e.g. `{ patience: 3, minDelta: 0 }`. */
  params: z.record(z.string(), z.unknown()).default({}),
  /** Human label used in reports, e.g. `early stopping (patience 3)`. */
  label: z.string().optional(),
});

export const RunConfigSchema = z.object({
  /** Architecture family, e.g. `lenet`, `bcnn`. */
  architecture: z.string().min(1),
  /** Width multiplier k of LeNet-k / BCNN-k (or any size index for user models). */
  size: z.number().int().positive(),
  /** Free-form model label, defaults to `${architecture}-${size}`. */
  model: z.string().optional(),
  dataset: z.string().min(1),
  /** CIFAR-10 cross-validation fold (0-based), null when the dataset has a fixed split. */
  fold: z.number().int().nonnegative().nullable().default(null),
  criterion: StoppingCriterionConfigSchema,
  maxEpochs: z.number().int().positive(),
  batchSize: z.number().int().positive().optional(),
  learningRate: z.number().positive().optional(),
  optimizer: z.string().optional(),
  seed: z.number().int().optional(),
  /**
   * 0-based replicate index when a grid repeats each configuration (`seeds: [...]` or `repeats: N`); part of the
   * run's hash, so replicates are distinct runs. Absent for a single replicate.
   */
  replicate: z.number().int().nonnegative().optional(),
  /** Anything else the user wants kept with the run. */
  extra: z.record(z.string(), z.unknown()).default({}),
});
export type RunConfig = z.infer<typeof RunConfigSchema>;

/**
 * Where a run ran under a scheduler (SLURM): its job, array task and allocation. Every field is optional: absent
 * outside a scheduler or when the scheduler did not say.
 */
export const PlacementSchema = z.object({
  scheduler: z.enum(['slurm']).optional(),
  /** `SLURM_JOB_ID` (differs per array task). */
  jobId: z.string().optional(),
  /** `SLURM_ARRAY_JOB_ID` (the same for every task of one array). */
  arrayJobId: z.string().optional(),
  /** `SLURM_ARRAY_TASK_ID`. */
  arrayTaskId: z.number().int().nonnegative().optional(),
  /** The shard of the grid this process ran (`eff run --shard I/N`), 0-based index. */
  shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).optional(),
  /** GPUs allocated to the job as the scheduler names them (indices or UUIDs), e.g. from `SLURM_JOB_GPUS`. */
  allocatedGpus: z.array(z.string()).optional(),
  /** CPUs allocated to the job on this node (`SLURM_CPUS_ON_NODE`). */
  allocatedCpus: z.number().int().positive().optional(),
  /**
   * Whether the job had the node to itself (`--exclusive`). false: CPU/RAM energy is the whole node's and cannot be
   * attributed to this run (see `final.sharedComponents`); absent: unknown (not under a scheduler).
   */
  exclusive: z.boolean().optional(),
});
export type Placement = z.infer<typeof PlacementSchema>;

export const EnvironmentSchema = z.object({
  hostname: z.string().optional(),
  os: z.string().optional(),
  cpu: z.object({ model: z.string(), cores: z.number().int().nonnegative() }).partial().optional(),
  memoryBytes: z.number().nonnegative().optional(),
  gpus: z.array(z.object({ model: z.string(), memoryMB: z.number().optional() }).partial()).default([]),
  nodeVersion: z.string().optional(),
  /** tfjs backend that trained, e.g. `wasm`, `tensorflow`, `cpu`. */
  backend: z.string().optional(),
  /**
   * Threads the backend's training kernels ran on (eff's wasm kernels split convolutions across helper threads).
   * It changes energy as well as time: an estimate (utilisation × TDP) grows with the busy cores.
   */
  trainingThreads: z.number().int().positive().optional(),
  /** Package versions, e.g. `{ "@eff/core": "0.1.0", "@tensorflow/tfjs": "4.22.0" }`. */
  versions: z.record(z.string(), z.string()).default({}),
  /** Scheduler job, array task, shard and allocation, when the run ran under one. */
  placement: PlacementSchema.optional(),
});
export type Environment = z.infer<typeof EnvironmentSchema>;

export const GapSchema = z.object({
  startMs: z.number(),
  endMs: z.number(),
  durationMs: nonNegative,
  deviceId: z.string().optional(),
});
export type Gap = z.infer<typeof GapSchema>;

/** One device's fate in a measurement: whether it was measured, how, how much of the window it covers. */
export const DeviceReportSchema = z.object({
  deviceId: z.string(),
  component: z.enum(['gpu', 'cpu', 'ram', 'system']),
  /**
   * `measured`: readings cover the window (apart from the gaps listed); `unsupported`: present, cannot be measured
   * (its energy is not in the totals); `lost`: stopped delivering readings at `lostAtMs`; `no-samples`: claimed by
   * the probe but delivered nothing (a gap, never 0 J).
   */
  status: z.enum(['measured', 'unsupported', 'lost', 'no-samples']),
  /** Where the joules came from: an energy counter, integrated power readings, or an estimate (utilisation × TDP). */
  method: z.enum(['counter', 'power', 'estimate']).optional(),
  /** Energy of this device inside the window, J. */
  energyJ: nonNegative,
  sampleCount: z.number().int().nonnegative(),
  /** Time inside the window with no usable data for this device, ms (its energy is missing from energyJ). */
  uncoveredMs: nonNegative.default(0),
  /** When the device stopped delivering readings (same clock as gaps), for `lost`. */
  lostAtMs: z.number().optional(),
  /**
   * Largest error of the trapezoid rule over this device's power readings in the window, J: Σ |P_i+1 − P_i| · Δt / 2
   * under monotone power between readings (0 for a counter's span). Absent for the estimate and in older records.
   */
  samplingBoundJ: nonNegative.optional(),
  /** Readings of this device inside the window that were unusable (non-numeric, unknown error) and skipped. */
  badReadingCount: z.number().int().nonnegative().optional(),
  /** Why it is not (fully) measured, or why the method changed (e.g. a frozen energy counter). */
  reason: z.string().optional(),
  /** Why this device was measured: `option`, the variable that selected it (`CUDA_VISIBLE_DEVICES`, …) or `all`. */
  selectedBy: z.string().optional(),
  uuid: z.string().optional(),
});

export const ProbeReportSchema = z.object({
  name: z.string(),
  components: z.array(z.enum(['gpu', 'cpu', 'ram', 'system'])),
  estimated: z.boolean(),
  sampleCount: z.number().int().nonnegative(),
  devices: z.array(z.string()).default([]),
  gaps: z.array(GapSchema).default([]),
  errors: z.array(z.string()).default([]),
  /** True when the probe failed or had gaps, so its energy is a lower bound. */
  degraded: z.boolean().default(false),
  /** Interval the probe actually sampled at, ms (a requested interval below the probe's minimum is raised). */
  intervalMs: z.number().positive().optional(),
  /** Per-device status, method and energy (see DeviceReportSchema). */
  deviceReports: z.array(DeviceReportSchema).default([]),
  /** Things the user should know that are not errors (interval raised, counter replaced by power readings, …). */
  notes: z.array(z.string()).default([]),
  /**
   * The labelled estimate's assumptions, for an estimating probe: the CPU's TDP in W, RAM power in W per GiB, and
   * whose load drives the CPU term (`machine`: every process on the machine; `process`: this process only).
   */
  estimate: z
    .object({
      tdpW: z.number().positive(),
      ramWPerGB: z.number().nonnegative(),
      loadScope: z.enum(['machine', 'process']),
    })
    .optional(),
});

/**
 * A prediction, made after an epoch, of what the run will still spend until its criterion stops it (issue 14).
 * `totalEnergyJ` = energy so far + `remainingEnergyJ`; `baselineTotalEnergyJ` is the naive baseline (mean energy per
 * epoch so far × the epochs the criterion will run, its cap when unknown) kept beside it for comparison.
 */
export const PredictionSchema = z.object({
  /** The epoch after which the prediction was made (1-based). */
  afterEpoch: z.number().int().positive(),
  /** How the remaining energy was predicted: per-epoch trend, a fitted learning curve, or the energy budget. */
  method: z.enum(['trend', 'learning-curve', 'budget']),
  /** Predicted epochs the run will still train (may be fractional for a per-batch budget). */
  remainingEpochs: nonNegative,
  /** Predicted remaining energy, J, with its interval (low ≤ value ≤ high). */
  remainingEnergyJ: nonNegative,
  remainingEnergyLowJ: nonNegative,
  remainingEnergyHighJ: nonNegative,
  /** Predicted remaining time, ms. */
  remainingMs: nonNegative,
  /** Energy so far + remainingEnergyJ, J. */
  totalEnergyJ: nonNegative,
  /** The baseline's predicted total energy, J. */
  baselineTotalEnergyJ: nonNegative,
});
export type Prediction = z.infer<typeof PredictionSchema>;

/** One device's share of an energy interval, J (uncertainty.ts: reading accuracy, sampling, counter, estimate). */
export const DeviceBoundSchema = z.object({
  probe: z.string(),
  deviceId: z.string(),
  method: z.enum(['counter', 'power', 'estimate']),
  /** How far below / above its energy the device's true energy can be, J. */
  belowJ: nonNegative,
  aboveJ: nonNegative,
});
export type DeviceBound = z.infer<typeof DeviceBoundSchema>;

/**
 * An interval on an energy in J from what its sources can know (sensor accuracy, sampling, counter resolution), with
 * each device's part when the record has device reports (absent in older records): lowJ = E − Σ belowJ,
 * highJ = E + Σ aboveJ.
 */
export const EnergyBoundSchema = z.object({
  lowJ: nonNegative,
  highJ: nonNegative,
  devices: z.array(DeviceBoundSchema).optional(),
});
export type EnergyBound = z.infer<typeof EnergyBoundSchema>;

/** Grams CO2e of a run: energy (kWh) × grid intensity (g/kWh) × PUE, with where the intensity came from. */
export const CarbonSchema = z.object({
  gramsCO2e: nonNegative,
  intensityGPerKWh: nonNegative,
  pue: z.number().min(1),
  /** `cli` / `config` (given by the user), `country-average` (shipped table) or `api` (live). */
  source: z.enum(['cli', 'config', 'country-average', 'api']),
  /** Human citation of the intensity, e.g. `Ember yearly average, DEU, 2023 (via @tgwf/co2 0.19)`. */
  sourceLabel: z.string(),
  /** Year the intensity describes, when known. */
  year: z.number().int().optional(),
  /** ISO 3166-1 alpha-3 country or API zone, when known. */
  zone: z.string().optional(),
});
export type Carbon = z.infer<typeof CarbonSchema>;

export const EpochRecordSchema = z.object({
  /** 1-based epoch number. */
  epoch: z.number().int().positive(),
  trainAccuracy: accuracy.nullable(),
  validationAccuracy: accuracy.nullable(),
  testAccuracy: accuracy.nullable(),
  /** Losses as reported; null when not measured or not finite (see `nonFinite`). */
  trainLoss: z.number().nullable(),
  validationLoss: z.number().nullable(),
  testLoss: z.number().nullable(),
  /**
   * Values that were not finite in this epoch (the run diverged here): the field name (`trainLoss`,
   * `validationAccuracy`, …, or another tfjs log key such as `dense_2_loss`) → the value as text (`NaN`, `Infinity`,
   * `-Infinity`). The field itself holds null. Absent when every value was finite.
   */
  nonFinite: z.record(z.string(), z.string()).optional(),
  /** Duration of this epoch and time since the run started. */
  durationMs: nonNegative,
  elapsedMs: nonNegative,
  energyJ: EnergyByComponentSchema,
  cumulativeEnergyJ: EnergyByComponentSchema,
  /** The authors' measure: plain sum of watt readings up to this epoch (not energy). */
  cumulativePaperSumW: z.number().nonnegative().optional(),
  /** Eq. 2: accuracy after this epoch / cumulative total energy in J; 0 when the epoch has no finite accuracy. */
  efficiency: z.number().nonnegative(),
  /** Which accuracy Eq. 2 used (for an epoch without a finite accuracy: the one it would have used). */
  efficiencyAccuracy: z.enum(['test', 'validation', 'train']),
  /** Energy-to-finish prediction made after this epoch, when the run's criterion allows one. */
  prediction: PredictionSchema.optional(),
});

export const StopDecisionSchema = z.object({
  /** Name of the criterion that stopped the run (or `maxEpochs`, `diverged`, `error`, `user`). */
  criterion: z.string(),
  reason: z.string(),
  epoch: z.number().int().nonnegative(),
  /** Set when the decision was taken inside an epoch (per-batch energy budget). */
  batch: z.number().int().nonnegative().optional(),
});
export type StopDecision = z.infer<typeof StopDecisionSchema>;

export const RunRecordSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  /** Stable hash of `config` (used to skip finished runs when a grid is resumed). */
  runId: z.string().min(1),
  /**
   * `completed`: ended by its criterion or the epoch cap; `diverged`: a non-finite loss or accuracy ended it (a
   * result, kept with its epochs and not retried on resume); `failed`: an error (retried on resume).
   */
  status: z.enum(['completed', 'diverged', 'failed']),
  error: z.string().optional(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  config: RunConfigSchema,
  environment: EnvironmentSchema,
  probes: z.array(ProbeReportSchema),
  /** Idle power measured before training, when asked for. */
  baseline: z
    .object({
      durationMs: nonNegative,
      powerW: z.record(z.string(), nonNegative),
      energyJ: EnergyByComponentSchema,
    })
    .optional(),
  epochs: z.array(EpochRecordSchema),
  /**
   * The run's outcome. `accuracy`, `accuracyOn`, `trainAccuracy` and `efficiency` come from the last epoch with a
   * finite accuracy (for a completed run, the last epoch; for a diverged run whose last epoch's accuracy was not
   * finite, the epoch before; 0 when there is none); `energyJ` and `durationMs` cover every epoch kept.
   */
  final: z.object({
    epochs: z.number().int().nonnegative(),
    accuracy: accuracy,
    accuracyOn: z.enum(['test', 'validation', 'train']),
    trainAccuracy: accuracy.nullable(),
    energyJ: EnergyByComponentSchema,
    /** Energy with idle power subtracted, when a baseline was measured. */
    energyAboveIdleJ: EnergyByComponentSchema.optional(),
    paperSumW: z.number().nonnegative().optional(),
    /** Eq. 1: accuracy / total energy in J (the Eq. 2 value of the epoch `accuracy` comes from). */
    efficiency: z.number().nonnegative(),
    durationMs: nonNegative,
    stoppedBy: StopDecisionSchema,
    /** Any probe failed or had gaps: energy is a lower bound. */
    degraded: z.boolean(),
    /** Some energy came from an estimate, not a hardware meter. */
    estimated: z.boolean(),
    /**
     * Components whose energy is the whole node's and cannot be attributed to this run (CPU/RAM on a node shared with
     * other jobs). Their joules are kept in `energyJ` for reference but reports mark them as shared.
     */
    sharedComponents: z.array(z.enum(['gpu', 'cpu', 'ram', 'system'])).optional(),
    /** Interval on `energyJ.total` from the sensors' accuracy, sampling and the estimate's bound (issue 14). */
    energyBoundJ: EnergyBoundSchema.optional(),
    /** Carbon of the run, when an intensity was given or found. */
    carbon: CarbonSchema.optional(),
  }),
  /** Energy-to-finish predictions made after epochs 1, 2, 3, 5 and 10 (those the run reached). */
  predictions: z.array(PredictionSchema).optional(),
});
