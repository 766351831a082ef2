// Probe selection for the CLI: what `eff probes` lists, and which probes `eff measure` / `eff run` start.
import { defaultProbes, MeasureError } from '@eff/core';
import { detectProbes, inWorkerThread, type Probe, probeByName, probeNames } from '@eff/probes';
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

/** Every known probe with what it measures and whether this machine can run it (detectProbes + the registry). */
export async function listProbes(): Promise<ProbeRow[]> {
  const detected = await detectProbes();
  return detected.map((d) => {
    const probe = probeByName(d.name);
    return {
      name: d.name,
      components: [...probe.components],
      estimated: probe.estimated,
      available: d.available,
      reason: d.available ? null : (d.reason ?? 'unavailable (no reason given)'),
      devices: d.devices ?? [],
    };
  });
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
      ? `\nMeasured by default: ${measured.map((r) => r.name).join(', ')}`
      : '\nNo hardware power meter is readable here: eff will use the labelled estimate (results are marked estimated).',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The probes to start: the named ones (each must exist and be available here), else every available
 * hardware probe, else the labelled estimate. Never silently substitutes a probe the user named.
 */
export async function selectProbes(names: readonly string[]): Promise<Probe[]> {
  const known = probeNames();
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown probe ${unknown.map((n) => `'${n}'`).join(', ')}; known probes: ${known.join(', ')} (see eff probes).`,
    );
  }
  if (names.length === 0) {
    try {
      return await defaultProbes();
    } catch (err) {
      if (err instanceof MeasureError) throw new UsageError(`${err.message} (see eff probes).`);
      throw err;
    }
  }
  // Only the named probes are checked (detecting all of them spawns every vendor tool). They sample in worker
  // threads, on time while training holds the main thread.
  return Promise.all(
    [...new Set(names)].map(async (name) => {
      const probe = inWorkerThread(name);
      const check = await probe.check().catch((err: Error) => ({ available: false, reason: err.message }));
      if (!check.available) {
        throw new UsageError(
          `probe '${name}' cannot run on this machine: ${check.reason ?? 'unavailable'} (see eff probes).`,
        );
      }
      return probe;
    }),
  );
}
