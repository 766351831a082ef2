// @ts-nocheck
// Public surface of @eff/core.

/** Stopping criteria: fixedEpochs, accuracyTarget, earlyStopping, energyBudget, anyOf, allOf, withMaxEpochs, fromConfig. */
export * as criteria from './criteria.js';
export {
  type BatchState,
  CriterionError,
  type CriterionRun,
  type EpochState,
  type StoppingCriterion,
} from './criteria.js';
export {
  type DefaultProbesOptions,
  defaultProbes,
  gpuProbeOptions,
  normalizeGpuList,
} from './default-probes.js';
export {
  type AccuracyOn,
  type ArchitectureEfficiencyRow,
  type ArchitectureRatio,
  analyzeOvertraining,
  architectureEfficiency,
  type BootstrapOptions,
  bootstrapArchitectureEfficiency,
  bootstrapOverallEfficiency,
  CHANCE_LEVEL_FACTOR,
  type ConfidenceInterval,
  type CurvePoint,
  criterionKey,
  DATASET_CLASSES,
  DEFAULT_OVERTRAINING_RULE,
  describeOvertrainingRule,
  EfficiencyInputError,
  type EfficiencyRatios,
  efficiency,
  efficiencyCurve,
  efficiencyRatios,
  type GroupOptions,
  isChanceLevel,
  type ModelResult,
  type OverallEfficiencyRow,
  type OvertrainingAnalysis,
  type OvertrainingInput,
  type OvertrainingResult,
  type OvertrainingRow,
  type OvertrainingRule,
  overallEfficiency,
  overtrainingOf,
  type RunExclusion,
  runExclusion,
  type SizeEfficiency,
  type TaskRatio,
} from './efficiency.js';
export {
  counterSampleFromMicrojoules,
  createEnergyMeter,
  DEFAULT_GAP_THRESHOLD_MS,
  type DeviceEnergy,
  type DeviceRef,
  type DeviceSettings,
  type EnergyAnomaly,
  EnergyInputError,
  type EnergyIntegration,
  type EnergyInterval,
  type EnergyMeter,
  type EnergyMethod,
  type EnergyOptions,
  energyBetweenMarks,
  type IntegrateOptions,
  integrateEnergy,
  microjoulesToJ,
  sumByComponent,
} from './energy.js';
export { type EpochMetrics, TFJS_ACCURACY_METRIC_NAMES } from './epoch-metrics.js';
export {
  type EfficiencySession,
  type EpochEndResult,
  type Evaluation,
  type MeasureConfig,
  type MeasureEfficiencyOptions,
  MeasureError,
  measureEfficiency,
  type StoppableModel,
  type TfjsCallback,
} from './measure.js';
export {
  type MeasuredProbe,
  type Meter,
  MeterError,
  type MeterOptions,
  type MeterReading,
  startMeter,
} from './meter.js';
export {
  appendJsonl,
  configHash,
  epochsToCsv,
  parseJsonl,
  ResultsFormatError,
  readJsonl,
  runsToCsv,
  stableStringify,
} from './results.js';
export * from './schema.js';
