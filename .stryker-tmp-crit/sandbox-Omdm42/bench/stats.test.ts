// @ts-nocheck
// Tests of the bench's pure parts: quantiles, ratios within a run, tables and the docs section update.
import { describe, expect, it } from 'vitest';
import {
  BenchInputError,
  formatImgPerS,
  formatRatio,
  median,
  overheadOf,
  quantile,
  type Rep,
  ratioOf,
  renderMarkdown,
  renderText,
  replaceSection,
  SECTION_END,
  SECTION_START,
  summarize,
  throughputTable,
} from './stats.js';

const rep = (model: string, backend: string, r: number, imgPerS: number): Rep => ({
  rep: r,
  model,
  backend,
  imgPerS,
  seconds: 1,
  batches: 4,
});

describe('quantile / summarize', () => {
  it('interpolates like numpy (type 7)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([10], 0.9)).toBe(10);
  });

  it('summarizes median, quartiles and range without reordering the input', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(summarize(xs)).toEqual({ n: 5, median: 3, q1: 2, q3: 4, min: 1, max: 5 });
    expect(xs).toEqual([5, 1, 4, 2, 3]);
  });

  it('refuses empty samples and non-finite values, naming them', () => {
    expect(() => median([])).toThrow(BenchInputError);
    expect(() => median([1, Number.NaN])).toThrow(/NaN/);
    expect(() => quantile([1], 2)).toThrow(/quantile 2/);
  });
});

describe('ratios within one run', () => {
  const reps = [
    rep('lenet-1', 'wasm', 1, 1000),
    rep('lenet-1', 'pytorch', 1, 2000),
    rep('lenet-1', 'wasm', 2, 1200),
    rep('lenet-1', 'pytorch', 2, 3000),
    rep('lenet-1', 'wasm', 3, 900),
    rep('lenet-1', 'pytorch', 3, 1000),
  ];

  it('is the median of the per-repetition ratios with their range (and keeps the ratio of medians)', () => {
    const r = ratioOf(reps, 'lenet-1', 'wasm', 'pytorch')!;
    // per repetition: 0.5, 0.4, 0.9
    expect(r.pairedMedian).toBeCloseTo(0.5, 12);
    expect(r.ofMedians).toBeCloseTo(1000 / 2000, 12);
    expect(r.pairedMin).toBeCloseTo(0.4, 12);
    expect(r.pairedMax).toBeCloseTo(0.9, 12);
  });

  it('is undefined when a backend did not run the model', () => {
    expect(ratioOf(reps, 'lenet-1', 'wasm', 'cpu')).toBeUndefined();
    expect(ratioOf(reps, 'bcnn-1', 'wasm', 'pytorch')).toBeUndefined();
  });

  it('builds one row per model with cells per backend and the ratios asked for', () => {
    const t = throughputTable(
      [...reps, rep('lenet-1', 'cpu', 1, 10)],
      ['lenet-1', 'bcnn-1'],
      ['wasm', 'cpu', 'pytorch'],
      [
        ['wasm', 'pytorch'],
        ['wasm', 'cpu'],
      ],
    );
    expect(t.rows.map((r) => r.model)).toEqual(['lenet-1', 'bcnn-1']);
    expect(t.rows[0]!.cells.map((c) => c?.imgPerS.median)).toEqual([1000, 10, 2000]);
    expect(t.rows[0]!.ratios.map((r) => r?.ofMedians)).toEqual([0.5, 100]);
    expect(t.rows[1]!.cells).toEqual([undefined, undefined, undefined]);
  });
});

describe('rendering', () => {
  const t = throughputTable(
    [
      rep('lenet-1', 'wasm', 1, 6904.4),
      rep('lenet-1', 'wasm', 2, 7100),
      rep('lenet-1', 'wasm', 3, 6500),
      rep('lenet-1', 'cpu', 1, 75.25),
      rep('lenet-1', 'pytorch', 1, 13808.8),
      rep('lenet-1', 'pytorch', 2, 14200),
      rep('lenet-1', 'pytorch', 3, 10000),
    ],
    ['lenet-1', 'lenet-5'],
    ['wasm', 'cpu', 'pytorch'],
    [
      ['wasm', 'pytorch'],
      ['wasm', 'cpu'],
    ],
  );

  it('formats img/s and ratios readably', () => {
    expect(formatImgPerS(6904.4)).toBe('6,904');
    expect(formatImgPerS(75.25)).toBe('75.3');
    expect(formatImgPerS(4.56789)).toBe('4.57');
    expect(formatRatio(0.2143)).toBe('0.21×');
    expect(formatRatio(1.26)).toBe('1.3×');
    expect(formatRatio(92.6)).toBe('93×');
  });

  it('renders Markdown with medians, ranges, ratios and a dash for what did not run', () => {
    expect(renderMarkdown(t)).toBe(
      [
        '| model | wasm img/s | cpu img/s | pytorch img/s | wasm/pytorch | wasm/cpu |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        '| lenet-1 | 6,904 (6,500–7,100) | 75.3 | 13,809 (10,000–14,200) | 0.50× (0.50×–0.65×) | 92× |',
        '| lenet-5 | – | – | – | – | – |',
      ].join('\n'),
    );
  });

  it('renders an aligned text table', () => {
    const lines = renderText(t).split('\n');
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toMatch(/^lenet-1 +6,904 \(6,500–7,100\) +75\.3 /);
  });
});

describe('replaceSection', () => {
  const doc = `# Perf\n\nintro\n\n${SECTION_START}\nold table\n${SECTION_END}\n\nafter\n`;

  it('replaces only the text between the markers', () => {
    expect(replaceSection(doc, '| new |\n')).toBe(
      `# Perf\n\nintro\n\n${SECTION_START}\n| new |\n${SECTION_END}\n\nafter\n`,
    );
  });

  it('is idempotent', () => {
    const once = replaceSection(doc, 'x');
    expect(replaceSection(once, 'x')).toBe(once);
  });

  it('refuses a document without both markers, saying which is missing', () => {
    expect(() => replaceSection('# Perf\n', 'x')).toThrow(/no start marker/);
    expect(() => replaceSection(`${SECTION_START}\n`, 'x')).toThrow(/no end marker/);
    try {
      replaceSection(`${SECTION_END}\n${SECTION_START}`, 'x');
      expect.unreachable();
    } catch (e) {
      expect((e as BenchInputError).code).toBe('MARKERS_MISSING');
    }
  });
});

describe('overheadOf', () => {
  it('reports median(with)/median(without), paired range and the overhead fraction', () => {
    const o = overheadOf([990, 1000, 980], [1000, 1010, 1000]);
    expect(o.ratioOfMedians).toBeCloseTo(990 / 1000, 12);
    expect(o.overhead).toBeCloseTo(0.01, 12);
    expect(o.pairedMin).toBeCloseTo(0.98, 12);
    expect(o.pairedMax).toBeCloseTo(1000 / 1010, 12);
    expect(o.with.n).toBe(3);
  });

  it('refuses unpaired repetition counts', () => {
    expect(() => overheadOf([1, 2], [1])).toThrow(/2 and 1/);
  });
});

// Oracle for the headline statistic, on data where the candidates disagree: median of per-repetition ratios
// 1.5; ratio of medians 1.0; reps paired by list position 0.75; mean of per-repetition ratios 1.33.
describe('the headline ratio is the median of ratios paired by repetition number', () => {
  const reps = [
    rep('lenet-1', 'wasm', 1, 100),
    rep('lenet-1', 'wasm', 2, 300),
    rep('lenet-1', 'wasm', 3, 200),
    // listed out of repetition order (a resumed or re-sorted run): position 1 is rep 2, and so on
    rep('lenet-1', 'pytorch', 2, 200),
    rep('lenet-1', 'pytorch', 3, 400),
    rep('lenet-1', 'pytorch', 1, 50),
  ];

  it('pairs rep i with rep i: ratios 2, 1.5, 0.5 -> median 1.5, range 0.5-2', () => {
    const r = ratioOf(reps, 'lenet-1', 'wasm', 'pytorch')!;
    expect(r.pairedMedian).toBeCloseTo(1.5, 12);
    expect(r.pairedMin).toBeCloseTo(0.5, 12);
    expect(r.pairedMax).toBeCloseTo(2, 12);
    // kept beside it, and different here: median 200 / median 200
    expect(r.ofMedians).toBeCloseTo(1, 12);
  });

  it('the table prints the paired median with its range, not the ratio of medians', () => {
    const t = throughputTable(reps, ['lenet-1'], ['wasm', 'pytorch'], [['wasm', 'pytorch']]);
    expect(renderText(t).split('\n')[2]).toMatch(/1\.5× \(0\.50×–2\.0×\)$/);
  });

  it('a repetition missing on one side is left out of the pairs, not paired with another', () => {
    const r = ratioOf([...reps, rep('lenet-1', 'wasm', 4, 5000)], 'lenet-1', 'wasm', 'pytorch')!;
    expect(r.pairedMedian).toBeCloseTo(1.5, 12);
    expect(r.pairedMax).toBeCloseTo(2, 12);
  });
});
