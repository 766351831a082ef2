// Report: where each run ran (host, SLURM job/array task, GPUs, CPUs, exclusive), shared-node energy, mixed hardware.
import type { RunRecord } from '@eff/core';
import type { LoadedRun } from './load.js';
import type { Table } from './tables.js';

/** The hardware a run's joules depend on: CPU model, GPU models and backend (`—` when not recorded). */
export function hardwareOf(run: RunRecord): string {
  const env = run.environment;
  const gpus = env.gpus.map((g) => g.model).join(' + ') || 'no GPU';
  return `${env.cpu?.model ?? 'unknown CPU'}; ${gpus}; backend ${env.backend ?? '—'}`;
}

/**
 * A warning when the runs this report compares were measured on different hardware (CPU model, GPU models or
 * backend differ), naming each kind with its number of runs; null when all runs share one. Failed runs are in no
 * comparison and are left out.
 */
export function hardwareWarning(loaded: readonly LoadedRun[]): string | null {
  const counts = new Map<string, number>();
  for (const { run } of loaded) {
    if (run.status === 'failed') continue;
    const hw = hardwareOf(run);
    counts.set(hw, (counts.get(hw) ?? 0) + 1);
  }
  if (counts.size < 2) return null;
  const kinds = [...counts].map(([hw, n]) => `${n} run${n === 1 ? '' : 's'} on ${hw}`).join(' | ');
  return `runs compared in this report were measured on different hardware (${kinds}); their energies and efficiencies are not comparable across these groups.`;
}

/** The note for runs on a node shared with other jobs, or null when there are none. */
export function sharedNodeNote(loaded: readonly LoadedRun[]): string | null {
  const shared = loaded.filter(({ run }) => (run.final.sharedComponents ?? []).length > 0);
  if (shared.length === 0) return null;
  const components = [...new Set(shared.flatMap(({ run }) => run.final.sharedComponents ?? []))];
  const names = components.map((c) => c.toUpperCase()).join('/');
  return (
    `shared node: ${shared.length} run${shared.length === 1 ? '' : 's'} ran on a node shared with other jobs; their ${names} energy is the node's, not the run's. ` +
    `Efficiencies in this report divide accuracy by each run's total energy (every measured component, ${names} included), so for these runs they are understated; compare their GPU energy only, or rerun with --exclusive.`
  );
}

const yesNo = (b: boolean | undefined): string => (b === undefined ? '—' : b ? 'yes' : 'no');

/**
 * Where the runs ran: one row per host, SLURM job or array task, allocated GPUs and CPUs, exclusive node and shared
 * components, with its number of runs. null when no run recorded a host or a placement (results older than both).
 */
export function buildPlacementTable(loaded: readonly LoadedRun[]): Table | null {
  if (!loaded.some(({ run }) => run.environment.hostname !== undefined || run.environment.placement))
    return null;
  const groups = new Map<string, { cells: string[]; runs: number }>();
  for (const { run } of loaded) {
    const p = run.environment.placement;
    const job =
      p?.arrayJobId !== undefined && p.arrayTaskId !== undefined
        ? `${p.arrayJobId}_${p.arrayTaskId}`
        : (p?.jobId ?? '—');
    const cells = [
      run.environment.hostname ?? '—',
      job,
      p?.shard ? `${p.shard.index}/${p.shard.count}` : '—',
      p?.allocatedGpus?.join(',') ?? '—',
      p?.allocatedCpus !== undefined ? String(p.allocatedCpus) : '—',
      yesNo(p?.exclusive),
      (run.final.sharedComponents ?? []).join(', ') || '—',
    ];
    const key = cells.join('\u0000');
    const group = groups.get(key) ?? { cells, runs: 0 };
    group.runs++;
    groups.set(key, group);
  }
  const rows = [...groups.values()];
  const notes = [sharedNodeNote(loaded), hardwareWarning(loaded)].filter((n): n is string => n !== null);
  return {
    id: 'placement',
    title: 'Where each run ran: host, SLURM job/array task, allocation',
    columns: ['Host', 'Job / array task', 'Shard', 'GPUs', 'CPUs', 'Exclusive node', 'Shared energy', 'Runs'],
    cells: rows.map((g) => [...g.cells, String(g.runs)]),
    raw: rows.map((g) => [...g.cells.map((c) => (c === '—' ? null : c)), g.runs]),
    notes,
  };
}
