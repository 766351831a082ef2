// What `eff measure` prints: the JSON object (keys documented in docs/cli.md) and the human summary.
import {
  type Carbon,
  type DeviceBound,
  type DeviceReport,
  describeCarbon,
  type EnergyBound,
  type EnergyByComponent,
  formatSensorBound,
  hasNoSampleInside,
  type ProbeReport,
} from '@eff/core';
import { formatDuration, formatEnergy } from '../runner/progress.js';

export const MEASURE_JSON_VERSION = 1;

/** One probe's part of the result: core's ProbeReport plus the energy it measured. */
export interface MeasuredProbe extends ProbeReport {
  energyJ: EnergyByComponent;
}

export interface MeasureResult {
  version: typeof MEASURE_JSON_VERSION;
  /** The command and its arguments, as run. */
  command: string[];
  exitCode: number;
  /** Signal that ended the command, e.g. `SIGTERM`, else null. */
  signal: string | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  intervalMs: number;
  /** Energy per component over the command's lifetime, in joules; `total` as in RunRecord. */
  energyJ: EnergyByComponent;
  /** energyJ / duration, in watts. */
  averagePowerW: Partial<Record<keyof EnergyByComponent, number>>;
  /** Some energy comes from an estimate (utilisation × TDP), not a hardware meter. */
  estimated: boolean;
  /** A probe failed or had gaps: the energy is a lower bound. */
  degraded: boolean;
  probes: MeasuredProbe[];
  /** Interval on `energyJ.total` from the sensors (core's energyBoundOf: reading accuracy, sampling, the estimate). */
  energyBoundJ?: EnergyBound;
  /** Grams CO2e of `energyJ.total`, when an intensity was given (`--carbon-intensity`, `--carbon-country`). */
  carbon?: Carbon;
}

const COMPONENT_ORDER = ['gpu', 'cpu', 'ram', 'system', 'total'] as const;

export function averagePower(energyJ: EnergyByComponent, durationMs: number): MeasureResult['averagePowerW'] {
  const out: MeasureResult['averagePowerW'] = {};
  if (durationMs <= 0) return out;
  for (const c of COMPONENT_ORDER) {
    const e = energyJ[c];
    if (e !== undefined) out[c] = e / (durationMs / 1000);
  }
  return out;
}

/**
 * One line per device of a probe: status, method, energy, samples, uncovered time (the energy missing from it),
 * when it was lost (seconds after `startMs`) and why. Empty when the probe reported no devices.
 */
export function formatDeviceLines(
  devices: readonly DeviceReport[],
  startMs: number,
  bounds: readonly Pick<DeviceBound, 'deviceId' | 'belowJ' | 'aboveJ'>[] = [],
): string[] {
  const selectedBy = [...new Set(devices.map((d) => d.selectedBy).filter((s) => s !== undefined))];
  return devices.map((d) => {
    const facts = [
      `${d.sampleCount} sample${d.sampleCount === 1 ? '' : 's'}`,
      d.uncoveredMs > 0 ? `${(d.uncoveredMs / 1000).toFixed(2)} s uncovered` : '',
      d.lostAtMs !== undefined ? `lost at ${((d.lostAtMs - startMs) / 1000).toFixed(2)} s` : '',
      selectedBy.length > 1 && d.selectedBy ? `selected by ${d.selectedBy}` : '',
    ].filter(Boolean);
    const energy = d.status === 'unsupported' ? '-' : formatEnergy(d.energyJ);
    const bound = bounds.find((b) => b.deviceId === d.deviceId);
    const sensor =
      bound && d.status !== 'unsupported' ? ` ${formatSensorBound(bound.belowJ, bound.aboveJ)}` : '';
    return `    ${d.deviceId.padEnd(11)}  ${d.status.padEnd(11)}  ${(d.method ?? '-').padEnd(8)}  ${energy.padStart(10)}${sensor}  ${facts.join(', ')}${d.reason ? `: ${d.reason}` : ''}`;
  });
}

/** Where a probe's device choice came from, for the device table's header. */
function selectionText(selectedBy: string): string {
  if (selectedBy === 'all') return '(every device: nothing narrows the choice)';
  if (selectedBy === 'option') return '(devices chosen with --gpus)';
  return `(devices selected by ${selectedBy})`;
}

/** The command's duration, once: `9.87 s` under a minute (where hundredths matter), else `2m14s`. */
export function measuredDuration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(2)} s` : formatDuration(ms);
}

/** A small table for humans, written to stderr so the command's own stdout stays untouched. */
export function formatMeasureResult(r: MeasureResult): string {
  const lines: string[] = [];
  const how = r.signal ? `ended by ${r.signal}` : `exit code ${r.exitCode}`;
  lines.push(`eff measure: ${r.command.join(' ')}  (${how}, ${measuredDuration(r.durationMs)})`);
  lines.push('  component   energy        avg power');
  for (const c of COMPONENT_ORDER) {
    const e = r.energyJ[c];
    if (e === undefined) continue;
    const p = r.averagePowerW[c];
    lines.push(
      `  ${c.padEnd(10)}  ${formatEnergy(e).padStart(10)}  ${p === undefined ? '' : `${p.toFixed(1).padStart(8)} W`}`,
    );
  }
  lines.push('  probe          components       samples  gaps  status');
  for (const p of r.probes) {
    const gapMs = p.gaps.reduce((sum, g) => sum + g.durationMs, 0);
    const status = [
      p.estimated ? 'estimated' : 'measured',
      p.degraded ? 'DEGRADED' : '',
      ...p.errors.map((e) => `error: ${e}`),
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${p.name.padEnd(13)}  ${p.components.join('+').padEnd(15)}  ${String(p.sampleCount).padStart(7)}  ${`${p.gaps.length}${gapMs ? ` (${formatDuration(gapMs)})` : ''}`.padEnd(4)}  ${status}`,
    );
    const devices = p.deviceReports ?? [];
    if (devices.length > 0) {
      const selectedBy = [...new Set(devices.map((d) => d.selectedBy).filter(Boolean))];
      lines.push(
        `    device       status       method        energy  ${selectedBy.length === 1 ? selectionText(selectedBy[0] as string) : ''}`.trimEnd(),
      );
      const bounds = (r.energyBoundJ?.devices ?? []).filter((b) => b.probe === p.name);
      lines.push(...formatDeviceLines(devices, Date.parse(r.startedAt), bounds));
    }
    for (const note of p.notes ?? []) {
      // A note repeating a device's reason (`gpu0 not measured: …`) is already on that device's line.
      if (devices.some((d) => d.reason && note.includes(d.reason))) continue;
      lines.push(`    note: ${note}`);
    }
  }
  if (r.energyBoundJ)
    lines.push(
      `  energy: ${formatEnergy(r.energyJ.total)} ${formatSensorBound(r.energyJ.total - r.energyBoundJ.lowJ, r.energyBoundJ.highJ - r.energyJ.total)}: sensors allow ${formatEnergy(r.energyBoundJ.lowJ)} to ${formatEnergy(r.energyBoundJ.highJ)} (reading accuracy, sampling between readings, counter resolution, estimate ±50 %; docs/methodology.md §5)`,
    );
  if (r.carbon) lines.push(`  carbon: ${describeCarbon(r.carbon)}`);
  if (r.estimated)
    lines.push('  note: some energy is ESTIMATED (utilisation × TDP), not measured by hardware.');
  if (r.probes.some(hasNoSampleInside))
    lines.push(
      '  note: the command ended before any sample fell inside it; its energy is EXTRAPOLATED from the readings around it.',
    );
  if (r.probes.some((p) => p.degraded && !hasNoSampleInside(p)))
    lines.push('  note: a probe failed or had gaps; the energy is a LOWER BOUND.');
  return `${lines.join('\n')}\n`;
}
