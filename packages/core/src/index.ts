// Public surface of @eff/core.
export * from './schema.js';
