// Public surface of @eff/core.

export {
  counterSampleFromMicrojoules,
  createEnergyMeter,
  DEFAULT_GAP_THRESHOLD_MS,
  type DeviceEnergy,
  type EnergyAnomaly,
  EnergyInputError,
  type EnergyIntegration,
  type EnergyInterval,
  type EnergyMeter,
  type EnergyOptions,
  energyBetweenMarks,
  type IntegrateOptions,
  integrateEnergy,
  microjoulesToJ,
  sumByComponent,
} from './energy.js';
export * from './schema.js';
