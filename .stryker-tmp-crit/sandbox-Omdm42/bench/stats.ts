// @ts-nocheck
// Pure parts of the benchmark: summaries of repetitions, ratios within one run, and the text/Markdown tables.

/** A bad argument or a document the bench cannot update; `code` says which. */
export class BenchInputError extends Error {
  constructor(
    readonly code: 'EMPTY_SAMPLE' | 'BAD_VALUE' | 'MARKERS_MISSING' | 'BAD_OPTION',
    message: string,
  ) {
    super(message);
    this.name = 'BenchInputError';
  }
}

/** Median, quartiles and range of a set of measurements (same unit as the inputs). */
export interface Summary {
  n: number;
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/** One timed repetition of one model on one backend. */
export interface Rep {
  rep: number;
  model: string;
  backend: string;
  imgPerS: number;
  seconds: number;
  batches: number;
}

/** Quantile by linear interpolation between order statistics (R type 7, numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new BenchInputError('EMPTY_SAMPLE', `quantile(${q}) of no values: need ≥ 1`);
  if (!(q >= 0 && q <= 1))
    throw new BenchInputError('BAD_VALUE', `quantile ${q}: expected a number in [0, 1]`);
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined)
    throw new BenchInputError('BAD_VALUE', `measurement ${bad}: expected a finite number`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: median(values),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75),
    min: quantile(values, 0),
    max: quantile(values, 1),
  };
}

/** img/s of one model on one backend over all its repetitions. */
export interface Cell {
  model: string;
  backend: string;
  imgPerS: Summary;
}

/** Summary per (model, backend), in the order the pairs first appear. */
export function summarizeReps(reps: readonly Rep[]): Cell[] {
  const groups = new Map<string, { model: string; backend: string; values: number[] }>();
  for (const r of reps) {
    const key = `${r.model}\u0000${r.backend}`;
    const g = groups.get(key) ?? { model: r.model, backend: r.backend, values: [] };
    g.values.push(r.imgPerS);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({
    model: g.model,
    backend: g.backend,
    imgPerS: summarize(g.values),
  }));
}

/** numerator/denominator throughput of one model, both measured in the same run. */
export interface Ratio {
  model: string;
  numerator: string;
  denominator: string;
  /** median(numerator) / median(denominator). */
  ofMedians: number;
  /**
   * Median of the per-repetition ratios (rep i / rep i), the headline figure: interleaving makes the two sides of
   * a repetition see the same machine, so the ratio survives the VM's speed drifting between repetitions (±20 %
   * here), which the ratio of medians does not.
   */
  pairedMedian: number;
  /** Range of the per-repetition ratios. */
  pairedMin: number;
  pairedMax: number;
}

/** Ratio for one model, or undefined when either backend has no repetition of it. */
export function ratioOf(
  reps: readonly Rep[],
  model: string,
  numerator: string,
  denominator: string,
): Ratio | undefined {
  const of = (backend: string) => reps.filter((r) => r.model === model && r.backend === backend);
  const num = of(numerator);
  const den = of(denominator);
  if (num.length === 0 || den.length === 0) return undefined;
  const paired = num.flatMap((n) => {
    const d = den.find((x) => x.rep === n.rep);
    return d ? [n.imgPerS / d.imgPerS] : [];
  });
  const ofMedians = median(num.map((r) => r.imgPerS)) / median(den.map((r) => r.imgPerS));
  return {
    model,
    numerator,
    denominator,
    ofMedians,
    pairedMedian: paired.length ? median(paired) : ofMedians,
    pairedMin: paired.length ? Math.min(...paired) : ofMedians,
    pairedMax: paired.length ? Math.max(...paired) : ofMedians,
  };
}

/** The table `pnpm bench` prints: one row per model, img/s per backend, then the ratios asked for. */
export interface ThroughputTable {
  backends: string[];
  ratioPairs: [string, string][];
  rows: { model: string; cells: (Cell | undefined)[]; ratios: (Ratio | undefined)[] }[];
}

export function throughputTable(
  reps: readonly Rep[],
  models: readonly string[],
  backends: readonly string[],
  ratioPairs: readonly [string, string][],
): ThroughputTable {
  const cells = summarizeReps(reps);
  return {
    backends: [...backends],
    ratioPairs: ratioPairs.map(([a, b]) => [a, b]),
    rows: models.map((model) => ({
      model,
      cells: backends.map((b) => cells.find((c) => c.model === model && c.backend === b)),
      ratios: ratioPairs.map(([a, b]) => ratioOf(reps, model, a, b)),
    })),
  };
}

/** img/s: thousands separated and whole above 100, three significant digits below (cpu runs are slow). */
export function formatImgPerS(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

/** A ratio as `0.21×`, `1.3×`, `93×`. */
export function formatRatio(v: number): string {
  if (v >= 10) return `${Math.round(v)}×`;
  return `${v.toPrecision(2)}×`;
}

function cellText(c: Cell | undefined): string {
  if (!c) return '–';
  const s = c.imgPerS;
  if (s.n === 1) return formatImgPerS(s.median);
  return `${formatImgPerS(s.median)} (${formatImgPerS(s.min)}–${formatImgPerS(s.max)})`;
}

function ratioText(r: Ratio | undefined): string {
  if (!r) return '–';
  const lo = formatRatio(r.pairedMin);
  const hi = formatRatio(r.pairedMax);
  return lo === hi ? formatRatio(r.pairedMedian) : `${formatRatio(r.pairedMedian)} (${lo}–${hi})`;
}

function tableStrings(t: ThroughputTable): { header: string[]; body: string[][] } {
  const header = [
    'model',
    ...t.backends.map((b) => `${b} img/s`),
    ...t.ratioPairs.map(([a, b]) => `${a}/${b}`),
  ];
  const body = t.rows.map((r) => [r.model, ...r.cells.map(cellText), ...r.ratios.map(ratioText)]);
  return { header, body };
}

/** Fixed-width text table for the terminal. */
export function renderText(t: ThroughputTable): string {
  const { header, body } = tableStrings(t);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** GitHub Markdown table, numbers right-aligned. */
export function renderMarkdown(t: ThroughputTable): string {
  const { header, body } = tableStrings(t);
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [row(header), row(align), ...body.map(row)].join('\n');
}

export const SECTION_START = '<!-- bench:start -->';
export const SECTION_END = '<!-- bench:end -->';

/** `doc` with the text between the two markers replaced by `content` (markers kept). */
export function replaceSection(
  doc: string,
  content: string,
  start = SECTION_START,
  end = SECTION_END,
): string {
  const i = doc.indexOf(start);
  const j = doc.indexOf(end, i + start.length);
  if (i < 0 || j < 0) {
    throw new BenchInputError(
      'MARKERS_MISSING',
      `expected the markers ${start} … ${end} (in that order) in the document, found ${
        i < 0 ? 'no start marker' : 'no end marker after the start'
      }; add them where the generated section belongs`,
    );
  }
  return `${doc.slice(0, i + start.length)}\n${content.trim()}\n${doc.slice(j)}`;
}

/** Training throughput with a measurement wrapper vs without, repetitions interleaved. */
export interface Overhead {
  without: Summary;
  with: Summary;
  /** median(with) / median(without): 0.99 means 1 % slower. */
  ratioOfMedians: number;
  pairedMin: number;
  pairedMax: number;
  /** 1 − ratioOfMedians, as a fraction (positive = slower with measurement). */
  overhead: number;
}

export function overheadOf(withImgPerS: readonly number[], withoutImgPerS: readonly number[]): Overhead {
  if (withImgPerS.length !== withoutImgPerS.length) {
    throw new BenchInputError(
      'BAD_VALUE',
      `overhead: expected as many repetitions with as without measurement, found ${withImgPerS.length} and ${withoutImgPerS.length}`,
    );
  }
  const paired = withImgPerS.map((w, i) => w / withoutImgPerS[i]!);
  const ratioOfMedians = median(withImgPerS) / median(withoutImgPerS);
  return {
    without: summarize(withoutImgPerS),
    with: summarize(withImgPerS),
    ratioOfMedians,
    pairedMin: Math.min(...paired),
    pairedMax: Math.max(...paired),
    overhead: 1 - ratioOfMedians,
  };
}
