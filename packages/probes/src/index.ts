// Public surface of @eff/probes.
export * from './sample.js';
