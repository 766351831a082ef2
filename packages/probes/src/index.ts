// Public surface of @eff/probes.

export {
  AMD_SMI_MIN_INTERVAL_MS,
  type AmdSmiProbeOptions,
  type AmdSmiReading,
  amdSmiProbe,
  parseAmdSmiMetricJson,
} from './amd-smi.js';
export { NoMeasurableDeviceError } from './device-state.js';
export {
  ProbeError,
  ProbeExitedError,
  ProbeParseError,
  ProbePermissionError,
  ProbeStalledError,
  ProbeUnavailableError,
} from './errors.js';
export { type EstimateProbeOptions, estimateProbe } from './estimate.js';
export {
  GpuSelectionError,
  type ListedGpu,
  type SelectedGpus,
  type SelectGpusOptions,
  selectGpus,
} from './gpu-selection.js';
export {
  HWMON_DRIVER_COMPONENTS,
  HWMON_MIN_INTERVAL_MS,
  HWMON_SKIPPED_BY_DEFAULT,
  type HwmonProbeOptions,
  type HwmonSensor,
  hwmonProbe,
} from './hwmon.js';
export {
  IPMI_MIN_INTERVAL_MS,
  type IpmiPowerReading,
  type IpmiProbeOptions,
  ipmiProbe,
  parseIpmiDcmiPowerReading,
} from './ipmi.js';
export {
  NVIDIA_SMI_MIN_INTERVAL_MS,
  type NvidiaSmiProbeOptions,
  nvidiaSmiProbe,
  parseNvidiaSmiLine,
} from './nvidia-smi.js';
export { NVML_MIN_INTERVAL_MS, type NvmlProbeOptions, nvmlProbe } from './nvml.js';
export {
  POWERMETRICS_MIN_INTERVAL_MS,
  type PowermetricsBlock,
  PowermetricsParser,
  type PowermetricsProbeOptions,
  powermetricsProbe,
} from './powermetrics.js';
export { PowerstatParser, type PowerstatProbeOptions, powerstatProbe } from './powerstat.js';
export { type PowertopProbeOptions, parsePowertopCsv, powertopProbe } from './powertop.js';
export { RAPL_MIN_INTERVAL_MS, type RaplDomain, type RaplProbeOptions, raplProbe } from './rapl.js';
export {
  type DetectedProbe,
  describeProbe,
  detectProbes,
  oneProbePerHardware,
  type ProbeDescription,
  probeByName,
  probeHardware,
  probeHardwareKinds,
  probeNames,
} from './registry.js';
export {
  parseRocmSmiJson,
  ROCM_SMI_MIN_INTERVAL_MS,
  type RocmSmiProbeOptions,
  type RocmSmiReading,
  rocmSmiProbe,
} from './rocm-smi.js';
export * from './sample.js';
export { type BadLineReport, DEFAULT_MAX_CONSECUTIVE_BAD_LINES } from './tolerance.js';
export { inWorkerThread } from './worker-probe.js';
