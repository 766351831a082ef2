// Probe selection for the CLI: what `eff probes` lists, and which probes `eff measure` / `eff run` start.
import { defaultProbes, gpuProbeOptions, MeasureError } from '@eff/core';
import {
  detectProbes,
  inWorkerThread,
  oneProbePerHardware,
  type Probe,
  probeByName,
  probeNames,
} from '@eff/probes';
import { UsageError } from '../errors.js';

export interface ProbeRow {
  name: string;
  components: string[];
  estimated: boolean;
  available: boolean;
  /** Why the probe cannot run here (missing binary, no device, permission denied); null when available. */
  reason: string | null;
  /** Devices it would measure (after GPU selection). */
  devices: string[];
  /** Where the GPU choice came from: `option` (--gpus), the variable (`CUDA_VISIBLE_DEVICES`, …) or `all`. */
  selectedBy?: string;
  /** Devices present but not measurable (no sensor, unreadable), each with the reason. */
  unmeasurable?: Array<{ deviceId: string; reason: string }>;
}

/** Options shared by listProbes and selectProbes. */
export interface ProbeSelectionOptions {
  /** Explicit GPU selection (`--gpus`), handed to every GPU probe; wins over the environment's. */
  gpus?: readonly string[];
}

/** Factory options per probe for `gpus`; a bad list is a UsageError (exit 2). */
function factoryOptions(gpus: readonly string[] | undefined): Record<string, Record<string, unknown>> {
  try {
    return gpuProbeOptions(gpus);
  } catch (err) {
    if (err instanceof MeasureError) throw new UsageError(`--${err.message}`);
    throw err;
  }
}

/**
 * Every known probe with what it measures and whether this machine can run it (detectProbes + the registry): the
 * devices it would measure, where that choice came from, and devices present that it cannot measure.
 */
export async function listProbes(options: ProbeSelectionOptions = {}): Promise<ProbeRow[]> {
  const detected = await detectProbes(factoryOptions(options.gpus));
  return detected.map((d) => {
    const probe = probeByName(d.name);
    return {
      name: d.name,
      components: [...probe.components],
      estimated: probe.estimated,
      available: d.available,
      reason: d.available ? null : (d.reason ?? 'unavailable (no reason given)'),
      devices: d.devices ?? [],
      ...(d.selectedBy !== undefined ? { selectedBy: d.selectedBy } : {}),
      ...(d.unmeasurable?.length ? { unmeasurable: d.unmeasurable } : {}),
    };
  });
}

/** Where a probe's device choice came from, as the table says it. */
function choiceText(selectedBy: string): string {
  if (selectedBy === 'all') return 'all: nothing narrows the choice';
  if (selectedBy === 'option') return 'chosen with --gpus';
  return `selected by ${selectedBy}`;
}

export function formatProbeTable(rows: ProbeRow[]): string {
  const lines = ['probe          components       available  details'];
  for (const r of rows) {
    const details = r.available
      ? [
          r.devices.length
            ? `devices: ${r.devices.join(', ')}${r.selectedBy ? ` (${choiceText(r.selectedBy)})` : ''}`
            : '',
          ...(r.unmeasurable ?? []).map((u) => `not measurable: ${u.deviceId}: ${u.reason}`),
          r.estimated ? 'ESTIMATE (utilisation × TDP), not a measurement' : '',
        ]
          .filter(Boolean)
          .join('; ')
      : [r.reason, ...(r.unmeasurable ?? []).map((u) => `${u.deviceId}: ${u.reason}`)].join('; ');
    lines.push(
      `${r.name.padEnd(13)}  ${r.components.join('+').padEnd(15)}  ${(r.available ? 'yes' : 'no').padEnd(9)}  ${details}`,
    );
  }
  // what eff measure / eff run start without --probe: one available probe per kind of hardware (defaultProbes)
  const measured = oneProbePerHardware(rows.filter((r) => r.available && !r.estimated).map((r) => r.name));
  lines.push(
    measured.length
      ? `\nMeasured by default: ${measured.join(', ')}`
      : '\nNo hardware power meter is readable here: eff will use the labelled estimate (results are marked estimated).',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The probes to start: the named ones (each must exist and be available here), else every available
 * hardware probe, else the labelled estimate. Never silently substitutes a probe the user named. With `gpus`, GPU
 * probes measure only those GPUs; a GPU that does not exist, or `gpus` without any GPU probe to read them, is a
 * UsageError (exit 2) before anything starts.
 */
export async function selectProbes(
  names: readonly string[],
  options: ProbeSelectionOptions = {},
): Promise<Probe[]> {
  const known = probeNames();
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown probe ${unknown.map((n) => `'${n}'`).join(', ')}; known probes: ${known.join(', ')} (see eff probes).`,
    );
  }
  const perProbe = factoryOptions(options.gpus);
  if (names.length === 0) {
    try {
      return await defaultProbes(options.gpus ? { gpus: options.gpus } : {});
    } catch (err) {
      if (err instanceof MeasureError) {
        throw new UsageError(
          `${options.gpus && err.code === 'E_MEASURE_OPTIONS' ? '--' : ''}${err.message} (see eff probes).`,
        );
      }
      throw err;
    }
  }
  if (options.gpus && !names.some((n) => n in perProbe)) {
    throw new UsageError(
      `--gpus selects GPUs, but no GPU probe is named (--probe ${names.join(',')}); add one of ${Object.keys(perProbe).join(', ')} or drop --gpus.`,
    );
  }
  // Only the named probes are checked (detecting all of them spawns every vendor tool). They sample in worker
  // threads, on time while training holds the main thread.
  return Promise.all(
    [...new Set(names)].map(async (name) => {
      const probe = inWorkerThread(name, perProbe[name] ?? {});
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
