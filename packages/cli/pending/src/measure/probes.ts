// Probe selection for the CLI: what `eff probes` lists, and which probes `eff measure` / `eff run` start.
import { detectProbes, type Probe, probeByName } from '@eff/probes';
import { UsageError } from '../errors.js';

export interface ProbeRow {
  name: string;
  components: string[];
  estimated: boolean;
  available: boolean;
  /** Why the probe cannot run here (missing binary, no device, permission denied); null when available. */
  reason: string | null;
  devices: string[];
}

export async function listProbes(): Promise<ProbeRow[]> {
  const detected = await detectProbes();
  return detected.map(({ probe, check }) => ({
    name: probe.name,
    components: [...probe.components],
    estimated: probe.estimated,
    available: check.available,
    reason: check.available ? null : (check.reason ?? 'unavailable (no reason given)'),
    devices: check.devices ?? [],
  }));
}

export function formatProbeTable(rows: ProbeRow[]): string {
  const lines = ['probe          components       available  details'];
  for (const r of rows) {
    const details = r.available
      ? `${r.devices.length ? `devices: ${r.devices.join(', ')}` : ''}${r.estimated ? `${r.devices.length ? '; ' : ''}ESTIMATE (utilisation × TDP), not a measurement` : ''}`
      : r.reason;
    lines.push(
      `${r.name.padEnd(13)}  ${r.components.join('+').padEnd(15)}  ${(r.available ? 'yes' : 'no').padEnd(9)}  ${details}`,
    );
  }
  const measured = rows.filter((r) => r.available && !r.estimated);
  lines.push(
    measured.length
      ? `\nMeasured by default: ${rows
          .filter((r) => r.available)
          .map((r) => r.name)
          .join(', ')}`
      : '\nNo hardware power meter is readable here: eff will use the labelled estimate (results are marked estimated).',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The probes to start: the named ones (each must exist and be available here), else every available
 * hardware probe, else the labelled estimate. Never silently substitutes a probe the user named.
 */
export async function selectProbes(names: readonly string[]): Promise<Probe[]> {
  const detected = await detectProbes();
  if (names.length > 0) {
    const known = detected.map((d) => d.probe.name);
    return Promise.all(
      names.map(async (name) => {
        const entry = detected.find((d) => d.probe.name === name);
        if (!entry)
          throw new UsageError(
            `unknown probe '${name}'; known probes: ${known.join(', ')} (see eff probes).`,
          );
        if (!entry.check.available) {
          throw new UsageError(
            `probe '${name}' cannot run on this machine: ${entry.check.reason ?? 'unavailable'}`,
          );
        }
        return probeByName(name);
      }),
    );
  }
  const hardware = detected.filter((d) => d.check.available && !d.probe.estimated).map((d) => d.probe);
  if (hardware.length > 0) return hardware;
  const estimate = detected.find((d) => d.probe.estimated && d.check.available);
  if (!estimate) {
    throw new UsageError(
      'no probe can run on this machine, not even the estimate; run eff probes to see why.',
    );
  }
  return [estimate.probe];
}
