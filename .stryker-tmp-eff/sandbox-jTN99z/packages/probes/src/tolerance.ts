// @ts-nocheck
// Bounded tolerance for unparseable tool output: a bad line is skipped, counted and reported; many in a row fail.
import { Observable, type OperatorFunction } from 'rxjs';
import { ProbeParseError } from './errors.js';

/** What a probe tells `onBadLine` each time it skips output it could not parse. */
export interface BadLineReport {
  /** The probe, e.g. `nvidia-smi`. */
  probe: string;
  /** The parse error; `error.input` holds the offending text. */
  error: ProbeParseError;
  /** Bad outputs in a row, including this one (reset by any parseable output). */
  consecutive: number;
  /** Bad outputs since subscribing. */
  total: number;
}

/** Unparseable outputs tolerated in a row before the stream errors (a one-off glitch is a gap, not a failure). */
export const DEFAULT_MAX_CONSECUTIVE_BAD_LINES = 3;

export interface ToleranceOptions {
  /** Bad outputs in a row that are skipped; the next one errors the stream. 0 = strict. Default 3. */
  maxConsecutiveBadLines?: number;
  /** Called for every skipped output, so the caller can count and show them. */
  onBadLine?: (report: BadLineReport) => void;
}

/**
 * Maps each tool output through `parse`. A ProbeParseError skips that output (no sample, so the consumer sees a
 * gap, never a made-up number) and is reported to `onBadLine`; more than `maxConsecutiveBadLines` in a row errors
 * the stream with a ProbeParseError that says how many there were. Any other error ends the stream as is.
 */
export function parseTolerantly<In, Out>(
  probe: string,
  parse: (input: In) => readonly Out[],
  options: ToleranceOptions = {},
): OperatorFunction<In, Out> {
  const max = options.maxConsecutiveBadLines ?? DEFAULT_MAX_CONSECUTIVE_BAD_LINES;
  if (!(Number.isInteger(max) && max >= 0)) {
    throw new RangeError(`${probe}: maxConsecutiveBadLines must be an integer >= 0, got ${max}`);
  }
  return (source) =>
    new Observable<Out>((subscriber) => {
      let consecutive = 0;
      let total = 0;
      return source.subscribe({
        next: (input) => {
          let out: readonly Out[];
          try {
            out = parse(input);
          } catch (err) {
            if (!(err instanceof ProbeParseError)) {
              subscriber.error(err);
              return;
            }
            consecutive += 1;
            total += 1;
            options.onBadLine?.({ probe, error: err, consecutive, total });
            if (consecutive > max) {
              subscriber.error(
                new ProbeParseError(
                  `${probe}: ${consecutive} unparseable outputs in a row (${total} since start; ${max} tolerated): ` +
                    `${err.message}. The tool's output format is not the documented one: check its version, ` +
                    'or run it by hand to see what it prints',
                  err.input,
                  { cause: err },
                ),
              );
            }
            return;
          }
          consecutive = 0;
          for (const value of out) subscriber.next(value);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
