// The `--tdp <W>` option shared by `eff run`, `eff measure` and `eff probes`: the CPU TDP the labelled estimate assumes.
import { InvalidArgumentError, Option } from 'commander';

/** A TDP in W: a finite number > 0 (fractions allowed, e.g. 15.5 for a laptop part). */
export function parseTdpW(value: string): number {
  const w = Number(value);
  if (!Number.isFinite(w) || w <= 0) {
    throw new InvalidArgumentError(
      `expected the CPU's TDP in watts, a number > 0 (e.g. 65), got '${value}'.`,
    );
  }
  return w;
}

/**
 * `--tdp <W>`: the CPU's thermal design power the estimate multiplies by load (default 85 W, CodeCarbon's for an
 * unknown CPU). Only the estimate uses it; it is recorded in the result's `probes[].estimate`.
 */
export function tdpOption(): Option {
  return new Option(
    '--tdp <W>',
    "the CPU's TDP in watts for the labelled estimate (used only when no power meter is readable; default 85)",
  ).argParser(parseTdpW);
}
