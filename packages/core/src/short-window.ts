// A window with no sample inside it: its joules are extrapolated from readings around it, so it is marked, not passed off.
import type { ProbeReport } from './schema.js';

/** True when a probe reported energy for a window without a sample inside it (its joules are extrapolated). */
export function hasNoSampleInside(p: ProbeReport): boolean {
  return p.sampleCount === 0 && p.deviceReports.some((d) => d.energyJ > 0);
}

/**
 * Marks every probe that reported energy for a window but had no sample inside it (the window was shorter than its
 * sampling interval, or a late timer on a loaded machine skipped it): `degraded` is set and a note says why. The
 * energy is kept — the meter's best extrapolation from the readings just before and after — but it is not a
 * measurement of the window.
 *
 * `probes` are changed in place. `window.ms` is the window's length in ms (for the note), `window.intervalMs` the
 * sampling interval used when a probe reports none, `window.what` names it in the note ("the run", "the command"),
 * `window.advice` ends the note with what to do. Returns true when at least one probe was marked.
 * Used by `measureEfficiency` (warning W_SHORT_WINDOW) and `eff measure`.
 */
export function markShortWindow(
  probes: ProbeReport[],
  window: { ms: number; intervalMs: number; what: string; advice: string },
): boolean {
  let marked = false;
  for (const p of probes) {
    if (!hasNoSampleInside(p)) continue;
    marked = true;
    p.degraded = true;
    p.notes.push(
      `no ${p.name} sample fell inside ${window.what} (${Math.round(window.ms)} ms long, sampled every ${p.intervalMs ?? window.intervalMs} ms): its energy is extrapolated from the readings around it; ${window.advice}`,
    );
  }
  return marked;
}
