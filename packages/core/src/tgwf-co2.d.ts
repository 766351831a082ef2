// Types for the part of @tgwf/co2 (which ships no declarations) that carbon.ts uses.
declare module '@tgwf/co2' {
  /** Ember's yearly average grid intensities, g CO2e/kWh, keyed by ISO 3166-1 alpha-3 code (and regions: WORLD, EU…). */
  export const averageIntensity: { data: Record<string, number>; type: string };
}
