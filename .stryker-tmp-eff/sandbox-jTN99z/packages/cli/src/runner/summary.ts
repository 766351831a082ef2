// @ts-nocheck
// The short table `eff demo` prints: one row per run (model × criterion), from the records alone.
import type { RunRecord } from '@eff/core';
import { formatEnergy } from './progress.js';

export interface SummaryRow {
  model: string;
  criterion: string;
  epochs: number;
  accuracy: number;
  energyJ: number;
  efficiency: number;
  stoppedBy: string;
}

export function summaryRows(records: readonly RunRecord[]): SummaryRow[] {
  return records
    .filter((r) => r.status === 'completed' || r.status === 'diverged')
    .map((r) => ({
      model: r.config.model ?? `${r.config.architecture}-${r.config.size}`,
      criterion: r.config.criterion.label ?? r.config.criterion.name,
      epochs: r.final.epochs,
      accuracy: r.final.accuracy,
      energyJ: r.final.energyJ.total,
      efficiency: r.final.efficiency,
      stoppedBy: r.final.stoppedBy.criterion,
    }));
}

/** Fixed-width text table; efficiency in accuracy per kJ so the numbers are readable. */
export function formatSummaryTable(rows: readonly SummaryRow[]): string {
  const header = ['model', 'criterion', 'epochs', 'accuracy', 'energy', 'acc/kJ', 'stopped by'];
  const body = rows.map((r) => [
    r.model,
    r.criterion,
    String(r.epochs),
    r.accuracy.toFixed(4),
    formatEnergy(r.energyJ),
    (r.efficiency * 1000).toFixed(3),
    r.stoppedBy,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')}\n`;
}
