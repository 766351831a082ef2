// `eff demo`: the README's main command — a scaled-down paper grid on real MNIST, then the report and a summary.
import { join, resolve } from 'node:path';
import {
  type Carbon,
  formatCarbonGrams,
  formatSummaryTable,
  type GridIntensity,
  type RunRecord,
  summaryRows,
} from '@eff/core';
import { type CarbonCliOptions, carbonFromCli } from '../commands/carbon-option.js';
import type { GridConfigInput } from '../grid/config.js';
import { validateGridConfig } from '../grid/load.js';
import type { CliIo } from '../io.js';
import { interruptOnSignals } from './interrupt.js';
import { formatDuration } from './progress.js';
import { reportFor } from './report.js';
import { runGrid } from './run-grid.js';
import { collectRunRecords, RESULTS_FILE } from './store.js';

/**
 * Scaled so that all 10 runs, the data loading and the report end in under 10 minutes on 2 cores with
 * the wasm backend: every run is capped at DEMO_MAX_EPOCHS epochs over DEMO_TRAIN images.
 */
export const DEMO_TRAIN = 30_000;
export const DEMO_TEST = 5_000;
export const DEMO_MAX_EPOCHS = 6;
export const DEMO_BUDGET_J = 1000;
export const DEMO_TARGET = 0.95;
export const DEMO_PATIENCE = 2;
/** Diminishing returns over 2 epochs (not 3): a run can then stop from epoch 3, which keeps the demo short. */
export const DEMO_DR_WINDOW = 2;
export const DEMO_DR_FRACTION = 0.1;

export const DEMO_GRID: GridConfigInput = {
  name: 'demo',
  datasets: ['mnist'],
  architectures: ['lenet', 'bcnn'],
  sizes: [1],
  criteria: [
    { name: 'fixedEpochs', params: { epochs: 3 }, label: '3 epochs' },
    {
      name: 'accuracyTarget',
      params: { target: DEMO_TARGET, on: 'validation' },
      label: `validation accuracy ≥ ${DEMO_TARGET}`,
    },
    {
      name: 'earlyStopping',
      params: { patience: DEMO_PATIENCE },
      label: `early stopping (patience ${DEMO_PATIENCE})`,
    },
    {
      name: 'energyBudget',
      params: { joules: DEMO_BUDGET_J, checkEvery: 'batch' },
      label: `energy budget ${DEMO_BUDGET_J} J`,
    },
    {
      name: 'diminishingReturns',
      params: { window: DEMO_DR_WINDOW, fraction: DEMO_DR_FRACTION },
      label: `diminishing returns (window ${DEMO_DR_WINDOW}, fraction ${DEMO_DR_FRACTION})`,
    },
  ],
  maxEpochs: DEMO_MAX_EPOCHS,
  batchSize: 128,
  learningRate: 1e-3,
  mnist: { trainSize: DEMO_TRAIN, testSize: DEMO_TEST, validationSplit: 0.2 },
};

const INTRO = `eff demo: LeNet-1 vs BCNN-1 (MC-dropout) on real MNIST under the paper's four stopping criteria and diminishing returns.
Scaled to finish in under 10 minutes on 2 cores (the paper: 60k/10k images, 50 epochs, patience 3, 100 max epochs):
  - ${DEMO_TRAIN} training images (${DEMO_TRAIN * 0.2} of them held out for validation), ${DEMO_TEST} test images
  - criteria: 3 epochs | validation accuracy ≥ ${DEMO_TARGET} | early stopping, patience ${DEMO_PATIENCE} | energy budget ${DEMO_BUDGET_J} J (checked per batch) | diminishing returns (window ${DEMO_DR_WINDOW}, fraction ${DEMO_DR_FRACTION})
  - every run capped at ${DEMO_MAX_EPOCHS} epochs, batch 128, Adam 1e-3
Efficiencies are therefore not comparable with the paper's tables; run eff run --preset paper-mnist for that.
`;

/**
 * The demo's closing word on carbon. With an intensity (`--carbon-*`): the grams of the runs shown (those that drew
 * power), with the intensity's source. Without: none is computed — the demo does not pick a grid intensity for the
 * user, since it depends on where and when the machine runs — and it says how to get one.
 */
export function demoCarbonText(
  records: readonly RunRecord[],
  carbon: { intensity: GridIntensity; pue: number } | null,
  out: string,
): string {
  if (!carbon)
    return `Carbon: not computed. The demo assumes no grid intensity (it depends on where and when this machine runs); give --carbon-country ISO3 (a yearly average), --carbon-intensity G_PER_KWH or --carbon-zone ZONE (live, with ELECTRICITYMAPS_TOKEN), or add it to the report afterwards: eff report ${out} --carbon-country DEU.\n`;
  const withCarbon = records.map((r) => r.final.carbon).filter((c): c is Carbon => c !== undefined);
  const grams = withCarbon.reduce((s, c) => s + c.gramsCO2e, 0);
  const first = withCarbon[0];
  return `Carbon: ${formatCarbonGrams(grams)} over ${withCarbon.length} run${withCarbon.length === 1 ? '' : 's'}${first ? ` (${first.intensityGPerKWh} g/kWh × PUE ${first.pue}; ${first.sourceLabel}${first.year !== undefined ? `, ${first.year}` : ''})` : ''}.\n`;
}

export async function runDemo(io: CliIo, out: string, carbonOpts: CarbonCliOptions = {}): Promise<number> {
  const startedMs = Date.now();
  const outDir = resolve(io.cwd, out);
  const grid = validateGridConfig(DEMO_GRID, 'the demo grid');
  // Resolved before training: an unknown country or a refused token fails at once.
  const carbon = await carbonFromCli(carbonOpts, io.env);
  io.stderr.write(INTRO);
  const interrupt = interruptOnSignals(io);
  let outcome: Awaited<ReturnType<typeof runGrid>>;
  try {
    outcome = await runGrid({ grid, outDir, io, signal: interrupt.signal, ...(carbon ? { carbon } : {}) });
  } finally {
    interrupt.dispose();
  }
  if (outcome.interrupted) {
    io.stderr.write(`Interrupted. Run eff demo --out ${out} again to continue; finished runs are kept.\n`);
    return 130;
  }
  io.stderr.write('Writing the report (tables, figures, index.html)...\n');
  const index = await reportFor(
    outDir,
    undefined,
    carbon ? { carbonIntensity: carbon.intensity, pue: carbon.pue } : {},
  );
  const records = (await collectRunRecords(outDir)).filter((r) => r.config.extra.trainSize === DEMO_TRAIN);
  io.stdout.write(`\n${formatSummaryTable(summaryRows(records))}`);
  const estimated = records.some((r) => r.final.estimated);
  if (estimated) {
    io.stdout.write(
      'Energy is ESTIMATED (no readable hardware power meter here: utilisation × TDP); see eff probes.\n',
    );
  }
  io.stdout.write(demoCarbonText(records, carbon, out));
  io.stdout.write(`\nResults: ${join(outDir, RESULTS_FILE)}\nReport:  ${index}\n`);
  io.stdout.write(`Done in ${formatDuration(Date.now() - startedMs)}.\n`);
  return outcome.failed > 0 ? 1 : 0;
}
