// Public surface of @eff/probes.

export { ProbeError, ProbePermissionError, ProbeUnavailableError } from './errors.js';
export { type EstimateProbeOptions, estimateProbe } from './estimate.js';
export { type RaplDomain, type RaplProbeOptions, raplProbe } from './rapl.js';
export * from './sample.js';
