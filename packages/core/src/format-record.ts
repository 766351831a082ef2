// Text summaries of run records: the line `eff run` prints when a run ends (formatRecord) and the demo's table, for the CLI and SDK users alike.
import { formatCarbonGrams } from './carbon.js';
import type { ProbeReport, RunRecord } from './schema.js';

/** Energy with a readable unit: `812.4 J`, `3.20 kJ`, `1.05 MJ` (J below 1 kJ, one decimal; else two). */
export function formatEnergy(energyJ: number): string {
  if (energyJ >= 1e6) return `${(energyJ / 1e6).toFixed(2)} MJ`;
  if (energyJ >= 1e3) return `${(energyJ / 1e3).toFixed(2)} kJ`;
  return `${energyJ.toFixed(1)} J`;
}

/**
 * The sensors' half-widths around an energy as a user reads them after it: `± 60.0 J (sensor)` when both sides print
 * alike, else `−55.0 J/+155.0 J (sensor)` (below/above, J; e.g. uncovered time widens only the upper side).
 */
export function formatSensorBound(belowJ: number, aboveJ: number): string {
  const below = formatEnergy(belowJ);
  const above = formatEnergy(aboveJ);
  return below === above ? `± ${below} (sensor)` : `−${below}/+${above} (sensor)`;
}

/** A duration in ms as `42s`, `3m07s` or `2h05m` (rounded to the second). */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Efficiency (Eq. 1, accuracy per joule) as accuracy per kJ, the unit that reads at a glance: 8.637e-4 /J → `0.864`.
 * Three significant digits below 10, else two decimals.
 */
export function formatEfficiencyPerKJ(efficiencyPerJ: number): string {
  const perKJ = efficiencyPerJ * 1000;
  return perKJ >= 10 ? perKJ.toFixed(2) : perKJ.toPrecision(3);
}

/** What the end-of-run line says about a run (from its record alone). */
export interface RunSummaryLine {
  epochs: number;
  /** final.accuracy, in [0, 1]. */
  accuracy: number;
  /** Which accuracy that is (`test`, `validation`, `train`); absent in older callers. */
  accuracyOn?: 'test' | 'validation' | 'train';
  /** final.energyJ.total, J. */
  energyJ: number;
  /** final.energyBoundJ: the interval the sensors allow on energyJ, J (absent in older records). */
  energyBoundJ?: { lowJ: number; highJ: number };
  /** final.efficiency, Eq. 1: accuracy / J. */
  efficiency: number;
  /** final.carbon.gramsCO2e, when an intensity was known (g CO2e). */
  gramsCO2e?: number;
  stoppedBy: string;
  durationMs: number;
  estimated: boolean;
  degraded: boolean;
  /** Set when a non-finite loss or accuracy ended the run: why (`training loss is Infinity after epoch 1`). */
  diverged?: string;
  /** Devices not fully measured, e.g. `nvidia-smi gpu1 lost, 2.10 s uncovered` (from the probes' device reports). */
  devices?: string[];
  /** Components whose energy is the node's, not this run's (`final.sharedComponents`: a node shared with other jobs). */
  shared?: string[];
}

/**
 * The warning for a run on a node shared with other jobs: `shared node: CPU/RAM energy is the node's, not this
 * run's` (the components named are the shared ones, upper-cased).
 */
export function sharedNodeText(components: readonly string[]): string {
  return `shared node: ${components.map((c) => c.toUpperCase()).join('/')} energy is the node's, not this run's`;
}

/** Devices a run did not fully measure, one phrase each: `nvidia-smi gpu2 lost, 2.10 s uncovered`. */
export function deviceShortfalls(probes: readonly ProbeReport[]): string[] {
  return probes.flatMap((p) =>
    (p.deviceReports ?? [])
      .filter((d) => d.status !== 'measured' || d.uncoveredMs > 0)
      .map(
        (d) =>
          `${p.name} ${d.deviceId} ${d.status}${d.uncoveredMs > 0 ? `, ${(d.uncoveredMs / 1000).toFixed(2)} s uncovered` : ''}`,
      ),
  );
}

/** The summary of a finished (completed or diverged) run's record. */
export function runSummaryLine(record: RunRecord): RunSummaryLine {
  const f = record.final;
  return {
    epochs: f.epochs,
    accuracy: f.accuracy,
    accuracyOn: f.accuracyOn,
    energyJ: f.energyJ.total,
    ...(f.energyBoundJ ? { energyBoundJ: { lowJ: f.energyBoundJ.lowJ, highJ: f.energyBoundJ.highJ } } : {}),
    efficiency: f.efficiency,
    ...(f.carbon ? { gramsCO2e: f.carbon.gramsCO2e } : {}),
    stoppedBy: f.stoppedBy.criterion,
    durationMs: f.durationMs,
    estimated: f.estimated,
    degraded: f.degraded,
    ...(record.status === 'diverged' ? { diverged: f.stoppedBy.reason } : {}),
    devices: deviceShortfalls(record.probes),
    ...(f.sharedComponents && f.sharedComponents.length > 0 ? { shared: f.sharedComponents } : {}),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * `3 epochs, test acc 97.1%, 250.0 J ± 125.0 J (sensor), eff 3.88 acc/kJ, 0.0278 g CO2e, stopped by fixedEpochs,
 * 1m00s [estimated]`: the run's outcome with the sensors' interval on its energy and its carbon (each when recorded)
 * and its labels (estimated; DEGRADED, energy a lower bound; devices not fully measured).
 */
export function formatRunSummary(s: RunSummaryLine): string {
  const flags = [
    s.estimated ? 'estimated' : '',
    s.degraded ? 'DEGRADED (energy is a lower bound)' : '',
    ...(s.devices ?? []),
    s.shared && s.shared.length > 0 ? sharedNodeText(s.shared) : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${s.epochs} epochs, ${s.accuracyOn ? `${s.accuracyOn} ` : ''}acc ${pct(s.accuracy)}, ${formatEnergy(s.energyJ)}${s.energyBoundJ ? ` ${formatSensorBound(s.energyJ - s.energyBoundJ.lowJ, s.energyBoundJ.highJ - s.energyJ)}` : ''}, eff ${formatEfficiencyPerKJ(s.efficiency)} acc/kJ, ${s.gramsCO2e !== undefined ? `${formatCarbonGrams(s.gramsCO2e)}, ` : ''}stopped by ${s.stoppedBy}, ${formatDuration(s.durationMs)}${flags ? ` [${flags}]` : ''}`;
}

/** A run's label: `mnist lenet-1 fixed 3 epochs` (dataset, fold, model, criterion), as `eff run` names runs. */
export function recordLabel(record: RunRecord): string {
  const c = record.config;
  return `${c.dataset}${c.fold === null ? '' : ` fold ${c.fold}`} ${c.model ?? `${c.architecture}-${c.size}`} ${c.criterion.label ?? c.criterion.name}`;
}

/**
 * What `eff run` prints when a run ends, for any record: `done <label>: <summary>` (see formatRunSummary),
 * `DIVERGED (why) <label>: …` for a diverged run, `FAILED <label>: <error>` for a failed one. One line, no newline.
 */
export function formatRecord(record: RunRecord): string {
  const label = recordLabel(record);
  if (record.status === 'failed') return `FAILED ${label}: ${record.error ?? 'unknown error'}`;
  const summary = runSummaryLine(record);
  return `${summary.diverged ? `DIVERGED (${summary.diverged})` : 'done'} ${label}: ${formatRunSummary(summary)}`;
}

/** One row of the demo's table (completed and diverged runs). */
export interface SummaryRow {
  model: string;
  criterion: string;
  epochs: number;
  accuracy: number;
  energyJ: number;
  /** Eq. 1, accuracy per J (the table shows it per kJ). */
  efficiency: number;
  stoppedBy: string;
}

/** The rows of completed and diverged runs, in the order given. */
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
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')}\n`;
}
