// @ts-nocheck
// Training efficiency (Eqs. 1-4), Table 12 ratios, Table 13 overtraining check and seeded bootstrap CIs, on records or numbers.
function stryNS_9fa48() {
  var g = typeof globalThis === 'object' && globalThis && globalThis.Math === Math && globalThis || new Function("return this")();
  var ns = g.__stryker__ || (g.__stryker__ = {});
  if (ns.activeMutant === undefined && g.process && g.process.env && g.process.env.__STRYKER_ACTIVE_MUTANT__) {
    ns.activeMutant = g.process.env.__STRYKER_ACTIVE_MUTANT__;
  }
  function retrieveNS() {
    return ns;
  }
  stryNS_9fa48 = retrieveNS;
  return retrieveNS();
}
stryNS_9fa48();
function stryCov_9fa48() {
  var ns = stryNS_9fa48();
  var cov = ns.mutantCoverage || (ns.mutantCoverage = {
    static: {},
    perTest: {}
  });
  function cover() {
    var c = cov.static;
    if (ns.currentTestId) {
      c = cov.perTest[ns.currentTestId] = cov.perTest[ns.currentTestId] || {};
    }
    var a = arguments;
    for (var i = 0; i < a.length; i++) {
      c[a[i]] = (c[a[i]] || 0) + 1;
    }
  }
  stryCov_9fa48 = cover;
  cover.apply(null, arguments);
}
function stryMutAct_9fa48(id) {
  var ns = stryNS_9fa48();
  function isActive(id) {
    if (ns.activeMutant === id) {
      if (ns.hitCount !== void 0 && ++ns.hitCount > ns.hitLimit) {
        throw new Error('Stryker: Hit count limit reached (' + ns.hitCount + ')');
      }
      return true;
    }
    return false;
  }
  stryMutAct_9fa48 = isActive;
  return isActive(id);
}
import { mean } from 'mathjs';
import { stableStringify } from './results.js';
import type { RunRecord } from './schema.js';

/** Bad efficiency input: accuracy outside [0, 1], energy <= 0 or not finite, nothing to average. */
export class EfficiencyInputError extends Error {
  readonly code = stryMutAct_9fa48("0") ? "" : (stryCov_9fa48("0"), 'E_EFFICIENCY_INPUT');
  constructor(message: string, readonly value: unknown) {
    super(message);
    this.name = stryMutAct_9fa48("1") ? "" : (stryCov_9fa48("1"), 'EfficiencyInputError');
  }
}
export type AccuracyOn = 'test' | 'validation' | 'train';
function checkAccuracy(v: unknown, where: string): number {
  if (stryMutAct_9fa48("2")) {
    {}
  } else {
    stryCov_9fa48("2");
    if (stryMutAct_9fa48("5") ? (typeof v !== 'number' || !Number.isFinite(v) || v < 0) && v > 1 : stryMutAct_9fa48("4") ? false : stryMutAct_9fa48("3") ? true : (stryCov_9fa48("3", "4", "5"), (stryMutAct_9fa48("7") ? (typeof v !== 'number' || !Number.isFinite(v)) && v < 0 : stryMutAct_9fa48("6") ? false : (stryCov_9fa48("6", "7"), (stryMutAct_9fa48("9") ? typeof v !== 'number' && !Number.isFinite(v) : stryMutAct_9fa48("8") ? false : (stryCov_9fa48("8", "9"), (stryMutAct_9fa48("11") ? typeof v === 'number' : stryMutAct_9fa48("10") ? false : (stryCov_9fa48("10", "11"), typeof v !== (stryMutAct_9fa48("12") ? "" : (stryCov_9fa48("12"), 'number')))) || (stryMutAct_9fa48("13") ? Number.isFinite(v) : (stryCov_9fa48("13"), !Number.isFinite(v))))) || (stryMutAct_9fa48("16") ? v >= 0 : stryMutAct_9fa48("15") ? v <= 0 : stryMutAct_9fa48("14") ? false : (stryCov_9fa48("14", "15", "16"), v < 0)))) || (stryMutAct_9fa48("19") ? v <= 1 : stryMutAct_9fa48("18") ? v >= 1 : stryMutAct_9fa48("17") ? false : (stryCov_9fa48("17", "18", "19"), v > 1)))) {
      if (stryMutAct_9fa48("20")) {
        {}
      } else {
        stryCov_9fa48("20");
        throw new EfficiencyInputError(stryMutAct_9fa48("21") ? `` : (stryCov_9fa48("21"), `accuracy must be in [0, 1], found ${String(v)} (${where})`), v);
      }
    }
    return v;
  }
}
function checkEnergy(v: unknown, where: string): number {
  if (stryMutAct_9fa48("22")) {
    {}
  } else {
    stryCov_9fa48("22");
    if (stryMutAct_9fa48("25") ? (typeof v !== 'number' || !Number.isFinite(v)) && v <= 0 : stryMutAct_9fa48("24") ? false : stryMutAct_9fa48("23") ? true : (stryCov_9fa48("23", "24", "25"), (stryMutAct_9fa48("27") ? typeof v !== 'number' && !Number.isFinite(v) : stryMutAct_9fa48("26") ? false : (stryCov_9fa48("26", "27"), (stryMutAct_9fa48("29") ? typeof v === 'number' : stryMutAct_9fa48("28") ? false : (stryCov_9fa48("28", "29"), typeof v !== (stryMutAct_9fa48("30") ? "" : (stryCov_9fa48("30"), 'number')))) || (stryMutAct_9fa48("31") ? Number.isFinite(v) : (stryCov_9fa48("31"), !Number.isFinite(v))))) || (stryMutAct_9fa48("34") ? v > 0 : stryMutAct_9fa48("33") ? v < 0 : stryMutAct_9fa48("32") ? false : (stryCov_9fa48("32", "33", "34"), v <= 0)))) {
      if (stryMutAct_9fa48("35")) {
        {}
      } else {
        stryCov_9fa48("35");
        throw new EfficiencyInputError(stryMutAct_9fa48("36") ? `` : (stryCov_9fa48("36"), `energy must be a finite number of joules > 0, found ${String(v)} (${where}); was any probe running?`), v);
      }
    }
    return v;
  }
}
function avg(xs: readonly number[], what: string): number {
  if (stryMutAct_9fa48("37")) {
    {}
  } else {
    stryCov_9fa48("37");
    if (stryMutAct_9fa48("40") ? xs.length !== 0 : stryMutAct_9fa48("39") ? false : stryMutAct_9fa48("38") ? true : (stryCov_9fa48("38", "39", "40"), xs.length === 0)) throw new EfficiencyInputError(stryMutAct_9fa48("41") ? `` : (stryCov_9fa48("41"), `cannot average ${what}: no values`), xs);
    return Number(mean(stryMutAct_9fa48("42") ? [] : (stryCov_9fa48("42"), [...xs])));
  }
}

/** Eq. 1: accuracy / energy (J). */
export function efficiency(accuracy: number, energyJ: number): number {
  if (stryMutAct_9fa48("43")) {
    {}
  } else {
    stryCov_9fa48("43");
    return stryMutAct_9fa48("44") ? checkAccuracy(accuracy, 'Eq. 1') * checkEnergy(energyJ, 'Eq. 1') : (stryCov_9fa48("44"), checkAccuracy(accuracy, stryMutAct_9fa48("45") ? "" : (stryCov_9fa48("45"), 'Eq. 1')) / checkEnergy(energyJ, stryMutAct_9fa48("46") ? "" : (stryCov_9fa48("46"), 'Eq. 1')));
  }
}
export interface CurvePoint {
  epoch: number;
  accuracy: number;
  cumulativeEnergyJ: number;
  /** accuracy / cumulativeEnergyJ, per J. */
  efficiency: number;
}

/**
 * Eq. 2: efficiency after every epoch, from a run record (accuracy chosen by `accuracyOn`, default the run's
 * final.accuracyOn) or from plain points `{ accuracy, cumulativeEnergyJ }` (epochs numbered from 1).
 */
export function efficiencyCurve(input: RunRecord | readonly {
  accuracy: number;
  cumulativeEnergyJ: number;
  epoch?: number;
}[], options: {
  accuracyOn?: AccuracyOn;
} = {}): CurvePoint[] {
  if (stryMutAct_9fa48("47")) {
    {}
  } else {
    stryCov_9fa48("47");
    if (stryMutAct_9fa48("49") ? false : stryMutAct_9fa48("48") ? true : (stryCov_9fa48("48", "49"), Array.isArray(input))) {
      if (stryMutAct_9fa48("50")) {
        {}
      } else {
        stryCov_9fa48("50");
        return input.map((p, i) => {
          if (stryMutAct_9fa48("51")) {
            {}
          } else {
            stryCov_9fa48("51");
            const epoch = stryMutAct_9fa48("52") ? p.epoch && i + 1 : (stryCov_9fa48("52"), p.epoch ?? (stryMutAct_9fa48("53") ? i - 1 : (stryCov_9fa48("53"), i + 1)));
            const where = stryMutAct_9fa48("54") ? `` : (stryCov_9fa48("54"), `epoch ${epoch}`);
            const accuracy = checkAccuracy(p.accuracy, where);
            const cumulativeEnergyJ = checkEnergy(p.cumulativeEnergyJ, where);
            return stryMutAct_9fa48("55") ? {} : (stryCov_9fa48("55"), {
              epoch,
              accuracy,
              cumulativeEnergyJ,
              efficiency: stryMutAct_9fa48("56") ? accuracy * cumulativeEnergyJ : (stryCov_9fa48("56"), accuracy / cumulativeEnergyJ)
            });
          }
        });
      }
    }
    const r = input as RunRecord;
    const on = stryMutAct_9fa48("57") ? options.accuracyOn && r.final.accuracyOn : (stryCov_9fa48("57"), options.accuracyOn ?? r.final.accuracyOn);
    return r.epochs.map(e => {
      if (stryMutAct_9fa48("58")) {
        {}
      } else {
        stryCov_9fa48("58");
        const where = stryMutAct_9fa48("59") ? `` : (stryCov_9fa48("59"), `run ${r.runId}, epoch ${e.epoch}, ${on} accuracy`);
        const acc = (stryMutAct_9fa48("62") ? on !== 'test' : stryMutAct_9fa48("61") ? false : stryMutAct_9fa48("60") ? true : (stryCov_9fa48("60", "61", "62"), on === (stryMutAct_9fa48("63") ? "" : (stryCov_9fa48("63"), 'test')))) ? e.testAccuracy : (stryMutAct_9fa48("66") ? on !== 'validation' : stryMutAct_9fa48("65") ? false : stryMutAct_9fa48("64") ? true : (stryCov_9fa48("64", "65", "66"), on === (stryMutAct_9fa48("67") ? "" : (stryCov_9fa48("67"), 'validation')))) ? e.validationAccuracy : e.trainAccuracy;
        const accuracy = checkAccuracy(acc, where);
        const cumulativeEnergyJ = checkEnergy(e.cumulativeEnergyJ.total, where);
        return stryMutAct_9fa48("68") ? {} : (stryCov_9fa48("68"), {
          epoch: e.epoch,
          accuracy,
          cumulativeEnergyJ,
          efficiency: stryMutAct_9fa48("69") ? accuracy * cumulativeEnergyJ : (stryCov_9fa48("69"), accuracy / cumulativeEnergyJ)
        });
      }
    });
  }
}

// ------------------------------------------------------------------ bootstrap

export interface BootstrapOptions {
  /** Seed of the resampling PRNG: the same seed gives the same interval. */
  seed: number;
  /** Number of resamples; default 10000. */
  resamples?: number;
  /** Two-sided confidence level; default 0.95. */
  level?: number;
}
export interface ConfidenceInterval {
  mean: number;
  low: number;
  high: number;
  level: number;
  /** Number of values resampled (sizes; for Eq. 4 the total over criteria). */
  n: number;
  /**
   * True when every resampled group holds one value (one model size): the "interval" is then the point itself,
   * and reports print it as `n/a (one value)` instead of a zero-width interval.
   */
  oneValue: boolean;
}

/** mulberry32: small, fast, seeded PRNG in [0, 1). */
function prng(seed: number): () => number {
  if (stryMutAct_9fa48("70")) {
    {}
  } else {
    stryCov_9fa48("70");
    let a = seed >>> 0;
    return () => {
      if (stryMutAct_9fa48("71")) {
        {}
      } else {
        stryCov_9fa48("71");
        a = (stryMutAct_9fa48("72") ? a - 0x6d2b79f5 : (stryCov_9fa48("72"), a + 0x6d2b79f5)) >>> 0;
        let t = a;
        t = Math.imul(t ^ t >>> 15, t | 1);
        t ^= stryMutAct_9fa48("73") ? t - Math.imul(t ^ t >>> 7, t | 61) : (stryCov_9fa48("73"), t + Math.imul(t ^ t >>> 7, t | 61));
        return stryMutAct_9fa48("74") ? ((t ^ t >>> 14) >>> 0) * 4294967296 : (stryCov_9fa48("74"), ((t ^ t >>> 14) >>> 0) / 4294967296);
      }
    };
  }
}
function bootstrapGroups(groups: readonly (readonly number[])[], o: BootstrapOptions): ConfidenceInterval {
  if (stryMutAct_9fa48("75")) {
    {}
  } else {
    stryCov_9fa48("75");
    const resamples = stryMutAct_9fa48("76") ? o.resamples && 10000 : (stryCov_9fa48("76"), o.resamples ?? 10000);
    const level = stryMutAct_9fa48("77") ? o.level && 0.95 : (stryCov_9fa48("77"), o.level ?? 0.95);
    if (stryMutAct_9fa48("80") ? false : stryMutAct_9fa48("79") ? true : stryMutAct_9fa48("78") ? Number.isInteger(o.seed) : (stryCov_9fa48("78", "79", "80"), !Number.isInteger(o.seed))) throw new EfficiencyInputError(stryMutAct_9fa48("81") ? `` : (stryCov_9fa48("81"), `bootstrap seed must be an integer, found ${String(o.seed)}`), o.seed);
    if (stryMutAct_9fa48("84") ? !Number.isInteger(resamples) && resamples < 1 : stryMutAct_9fa48("83") ? false : stryMutAct_9fa48("82") ? true : (stryCov_9fa48("82", "83", "84"), (stryMutAct_9fa48("85") ? Number.isInteger(resamples) : (stryCov_9fa48("85"), !Number.isInteger(resamples))) || (stryMutAct_9fa48("88") ? resamples >= 1 : stryMutAct_9fa48("87") ? resamples <= 1 : stryMutAct_9fa48("86") ? false : (stryCov_9fa48("86", "87", "88"), resamples < 1)))) {
      if (stryMutAct_9fa48("89")) {
        {}
      } else {
        stryCov_9fa48("89");
        throw new EfficiencyInputError(stryMutAct_9fa48("90") ? `` : (stryCov_9fa48("90"), `bootstrap resamples must be an integer >= 1, found ${String(resamples)}`), resamples);
      }
    }
    if (stryMutAct_9fa48("93") ? false : stryMutAct_9fa48("92") ? true : stryMutAct_9fa48("91") ? level > 0 && level < 1 : (stryCov_9fa48("91", "92", "93"), !(stryMutAct_9fa48("96") ? level > 0 || level < 1 : stryMutAct_9fa48("95") ? false : stryMutAct_9fa48("94") ? true : (stryCov_9fa48("94", "95", "96"), (stryMutAct_9fa48("99") ? level <= 0 : stryMutAct_9fa48("98") ? level >= 0 : stryMutAct_9fa48("97") ? true : (stryCov_9fa48("97", "98", "99"), level > 0)) && (stryMutAct_9fa48("102") ? level >= 1 : stryMutAct_9fa48("101") ? level <= 1 : stryMutAct_9fa48("100") ? true : (stryCov_9fa48("100", "101", "102"), level < 1)))))) throw new EfficiencyInputError(stryMutAct_9fa48("103") ? `` : (stryCov_9fa48("103"), `bootstrap level must be in (0, 1), found ${level}`), level);
    for (const g of groups) if (stryMutAct_9fa48("106") ? g.length !== 0 : stryMutAct_9fa48("105") ? false : stryMutAct_9fa48("104") ? true : (stryCov_9fa48("104", "105", "106"), g.length === 0)) throw new EfficiencyInputError(stryMutAct_9fa48("107") ? "" : (stryCov_9fa48("107"), 'bootstrap: a group has no values'), g);
    const rand = prng(o.seed);
    const stats = stryMutAct_9fa48("108") ? new Array() : (stryCov_9fa48("108"), new Array<number>(resamples));
    for (let r = 0; stryMutAct_9fa48("111") ? r >= resamples : stryMutAct_9fa48("110") ? r <= resamples : stryMutAct_9fa48("109") ? false : (stryCov_9fa48("109", "110", "111"), r < resamples); stryMutAct_9fa48("112") ? r-- : (stryCov_9fa48("112"), r++)) {
      if (stryMutAct_9fa48("113")) {
        {}
      } else {
        stryCov_9fa48("113");
        let sumOfMeans = 0;
        for (const g of groups) {
          if (stryMutAct_9fa48("114")) {
            {}
          } else {
            stryCov_9fa48("114");
            let s = 0;
            for (let i = 0; stryMutAct_9fa48("117") ? i >= g.length : stryMutAct_9fa48("116") ? i <= g.length : stryMutAct_9fa48("115") ? false : (stryCov_9fa48("115", "116", "117"), i < g.length); stryMutAct_9fa48("118") ? i-- : (stryCov_9fa48("118"), i++)) stryMutAct_9fa48("119") ? s -= g[Math.floor(rand() * g.length)] as number : (stryCov_9fa48("119"), s += g[Math.floor(rand() * g.length)] as number);
            stryMutAct_9fa48("120") ? sumOfMeans -= s / g.length : (stryCov_9fa48("120"), sumOfMeans += stryMutAct_9fa48("121") ? s * g.length : (stryCov_9fa48("121"), s / g.length));
          }
        }
        stats[r] = stryMutAct_9fa48("122") ? sumOfMeans * groups.length : (stryCov_9fa48("122"), sumOfMeans / groups.length);
      }
    }
    const alpha = stryMutAct_9fa48("123") ? (1 - level) * 2 : (stryCov_9fa48("123"), (stryMutAct_9fa48("124") ? 1 + level : (stryCov_9fa48("124"), 1 - level)) / 2);
    // Own sort + linear interpolation (R type 7, as mathjs.quantileSeq): mathjs's quickselect picks random
    // pivots, which made the last bit of the interval differ between calls with the same seed.
    stryMutAct_9fa48("125") ? stats : (stryCov_9fa48("125"), stats.sort(stryMutAct_9fa48("126") ? () => undefined : (stryCov_9fa48("126"), (x, y) => stryMutAct_9fa48("127") ? x + y : (stryCov_9fa48("127"), x - y))));
    const quantile = (q: number): number => {
      if (stryMutAct_9fa48("128")) {
        {}
      } else {
        stryCov_9fa48("128");
        const h = stryMutAct_9fa48("129") ? (stats.length - 1) / q : (stryCov_9fa48("129"), (stryMutAct_9fa48("130") ? stats.length + 1 : (stryCov_9fa48("130"), stats.length - 1)) * q);
        const lo = Math.floor(h);
        const a = stats[lo] as number;
        const b = stats[Math.min(lo + 1, stats.length - 1)] as number;
        return stryMutAct_9fa48("131") ? a - (h - lo) * (b - a) : (stryCov_9fa48("131"), a + (stryMutAct_9fa48("132") ? (h - lo) / (b - a) : (stryCov_9fa48("132"), (stryMutAct_9fa48("133") ? h + lo : (stryCov_9fa48("133"), h - lo)) * (stryMutAct_9fa48("134") ? b + a : (stryCov_9fa48("134"), b - a)))));
      }
    };
    return stryMutAct_9fa48("135") ? {} : (stryCov_9fa48("135"), {
      mean: avg(groups.map(stryMutAct_9fa48("136") ? () => undefined : (stryCov_9fa48("136"), g => avg(g, stryMutAct_9fa48("137") ? "" : (stryCov_9fa48("137"), 'a group')))), stryMutAct_9fa48("138") ? "" : (stryCov_9fa48("138"), 'groups')),
      low: quantile(alpha),
      high: quantile(stryMutAct_9fa48("139") ? 1 + alpha : (stryCov_9fa48("139"), 1 - alpha)),
      level,
      n: groups.reduce(stryMutAct_9fa48("140") ? () => undefined : (stryCov_9fa48("140"), (a, g) => stryMutAct_9fa48("141") ? a - g.length : (stryCov_9fa48("141"), a + g.length)), 0),
      oneValue: stryMutAct_9fa48("142") ? groups.some(g => g.length === 1) : (stryCov_9fa48("142"), groups.every(stryMutAct_9fa48("143") ? () => undefined : (stryCov_9fa48("143"), g => stryMutAct_9fa48("146") ? g.length !== 1 : stryMutAct_9fa48("145") ? false : stryMutAct_9fa48("144") ? true : (stryCov_9fa48("144", "145", "146"), g.length === 1))))
    });
  }
}

/** Percentile bootstrap CI of Eq. 3: resamples the per-size efficiencies. */
export function bootstrapArchitectureEfficiency(perSize: readonly number[], options: BootstrapOptions): ConfidenceInterval {
  if (stryMutAct_9fa48("147")) {
    {}
  } else {
    stryCov_9fa48("147");
    return bootstrapGroups(stryMutAct_9fa48("148") ? [] : (stryCov_9fa48("148"), [perSize]), options);
  }
}

/** Percentile bootstrap CI of Eq. 4: resamples sizes within each criterion, averages per criterion, then over criteria. */
export function bootstrapOverallEfficiency(perCriterionPerSize: readonly (readonly number[])[], options: BootstrapOptions): ConfidenceInterval {
  if (stryMutAct_9fa48("149")) {
    {}
  } else {
    stryCov_9fa48("149");
    if (stryMutAct_9fa48("152") ? perCriterionPerSize.length !== 0 : stryMutAct_9fa48("151") ? false : stryMutAct_9fa48("150") ? true : (stryCov_9fa48("150", "151", "152"), perCriterionPerSize.length === 0)) throw new EfficiencyInputError(stryMutAct_9fa48("153") ? "" : (stryCov_9fa48("153"), 'Eq. 4 bootstrap: no criteria'), perCriterionPerSize);
    return bootstrapGroups(perCriterionPerSize, options);
  }
}

// ------------------------------------------------------------------ Eq. 3 / 4

/** One trained model's result, the unit Eq. 3 averages. */
export interface ModelResult {
  accuracy: number;
  energyJ: number;
}
export interface GroupOptions {
  /** `joules` (default) or `paper-sum` (the authors' sum of watt readings, for comparison with their tables). */
  energy?: 'joules' | 'paper-sum';
  bootstrap?: BootstrapOptions;
  /**
   * What a completed run with zero measured energy does: `error` (default; EfficiencyInputError, since no
   * efficiency exists) or `exclude` (left out and counted in `zeroEnergyRuns`; a group left with no usable run
   * gets no row). Failed and diverged runs are always left out and counted.
   */
  unusableRuns?: 'error' | 'exclude';
}

/** Why a run cannot enter Eq. 3: it failed, it diverged (non-finite loss/accuracy), or no energy was measured. */
export type RunExclusion = 'failed' | 'diverged' | 'zero-energy';

/** The one rule, shared by core and `eff report`, for which runs Eq. 3 cannot use; null for a usable run. */
export function runExclusion(r: RunRecord, energy: 'joules' | 'paper-sum' = stryMutAct_9fa48("154") ? "" : (stryCov_9fa48("154"), 'joules')): RunExclusion | null {
  if (stryMutAct_9fa48("155")) {
    {}
  } else {
    stryCov_9fa48("155");
    if (stryMutAct_9fa48("158") ? r.status !== 'failed' : stryMutAct_9fa48("157") ? false : stryMutAct_9fa48("156") ? true : (stryCov_9fa48("156", "157", "158"), r.status === (stryMutAct_9fa48("159") ? "" : (stryCov_9fa48("159"), 'failed')))) return stryMutAct_9fa48("160") ? "" : (stryCov_9fa48("160"), 'failed');
    if (stryMutAct_9fa48("163") ? r.status !== 'diverged' : stryMutAct_9fa48("162") ? false : stryMutAct_9fa48("161") ? true : (stryCov_9fa48("161", "162", "163"), r.status === (stryMutAct_9fa48("164") ? "" : (stryCov_9fa48("164"), 'diverged')))) return stryMutAct_9fa48("165") ? "" : (stryCov_9fa48("165"), 'diverged');
    const e = (stryMutAct_9fa48("168") ? energy !== 'paper-sum' : stryMutAct_9fa48("167") ? false : stryMutAct_9fa48("166") ? true : (stryCov_9fa48("166", "167", "168"), energy === (stryMutAct_9fa48("169") ? "" : (stryCov_9fa48("169"), 'paper-sum')))) ? r.final.paperSumW : r.final.energyJ.total;
    return (stryMutAct_9fa48("172") ? e !== 0 : stryMutAct_9fa48("171") ? false : stryMutAct_9fa48("170") ? true : (stryCov_9fa48("170", "171", "172"), e === 0)) ? stryMutAct_9fa48("173") ? "" : (stryCov_9fa48("173"), 'zero-energy') : null;
  }
}

/** Classes of the datasets eff ships (MNIST, CIFAR-10), for the chance level. Other datasets: not judged. */
export const DATASET_CLASSES: Readonly<Record<string, number>> = stryMutAct_9fa48("174") ? {} : (stryCov_9fa48("174"), {
  mnist: 10,
  cifar10: 10,
  'cifar-10': 10
});

/**
 * A run is at chance level when its accuracy is below 1.5 / classes (0.15 for 10 classes): no better than
 * guessing, with room for class imbalance (MNIST's most frequent test class alone is 11.35 %).
 */
export const CHANCE_LEVEL_FACTOR = 1.5;

/**
 * True when the run's final accuracy is at chance level (see CHANCE_LEVEL_FACTOR); null when the dataset's
 * number of classes is unknown (`classes` overrides DATASET_CLASSES). Such runs stay in Eq. 3 (they spent
 * the energy and learned nothing; leaving them out would flatter the architecture) and are counted.
 */
export function isChanceLevel(r: RunRecord, classes?: number): boolean | null {
  if (stryMutAct_9fa48("175")) {
    {}
  } else {
    stryCov_9fa48("175");
    const k = stryMutAct_9fa48("176") ? classes && DATASET_CLASSES[r.config.dataset.toLowerCase()] : (stryCov_9fa48("176"), classes ?? DATASET_CLASSES[stryMutAct_9fa48("177") ? r.config.dataset.toUpperCase() : (stryCov_9fa48("177"), r.config.dataset.toLowerCase())]);
    if (stryMutAct_9fa48("180") ? k !== undefined : stryMutAct_9fa48("179") ? false : stryMutAct_9fa48("178") ? true : (stryCov_9fa48("178", "179", "180"), k === undefined)) return null;
    return stryMutAct_9fa48("184") ? r.final.accuracy >= CHANCE_LEVEL_FACTOR / k : stryMutAct_9fa48("183") ? r.final.accuracy <= CHANCE_LEVEL_FACTOR / k : stryMutAct_9fa48("182") ? false : stryMutAct_9fa48("181") ? true : (stryCov_9fa48("181", "182", "183", "184"), r.final.accuracy < (stryMutAct_9fa48("185") ? CHANCE_LEVEL_FACTOR * k : (stryCov_9fa48("185"), CHANCE_LEVEL_FACTOR / k)));
  }
}
export interface SizeEfficiency {
  size: number;
  /** Mean over repeats (folds, seeds) of accuracy / energy. */
  efficiency: number;
  runs: number;
}
export interface ArchitectureEfficiencyRow {
  dataset: string;
  architecture: string;
  /** Criterion key: its label, else `name` + params. */
  criterion: string;
  sizes: SizeEfficiency[];
  /** Eq. 3: mean over sizes. */
  efficiency: number;
  ci?: ConfidenceInterval;
  /** Runs left out because they failed (not silently: counted here). */
  failedRuns: number;
  /** Runs left out because a loss or accuracy became non-finite (status `diverged`). */
  divergedRuns: number;
  /** Completed runs left out because no energy was measured (only with `unusableRuns: 'exclude'`). */
  zeroEnergyRuns: number;
  /** Runs kept in the mean whose accuracy is at chance level (isChanceLevel); 0 when the dataset is unknown. */
  chanceLevelRuns: number;
  degraded: boolean;
  estimated: boolean;
}

/** Criterion key used to group runs: the config label, else `name {params}`. */
export function criterionKey(r: RunRecord): string {
  if (stryMutAct_9fa48("186")) {
    {}
  } else {
    stryCov_9fa48("186");
    const c = r.config.criterion;
    return stryMutAct_9fa48("187") ? c.label && `${c.name} ${stableStringify(c.params)}` : (stryCov_9fa48("187"), c.label ?? (stryMutAct_9fa48("188") ? `` : (stryCov_9fa48("188"), `${c.name} ${stableStringify(c.params)}`)));
  }
}
function isRecords(x: readonly unknown[]): x is readonly RunRecord[] {
  if (stryMutAct_9fa48("189")) {
    {}
  } else {
    stryCov_9fa48("189");
    const f = x[0] as {
      schemaVersion?: unknown;
    } | undefined;
    return stryMutAct_9fa48("192") ? typeof f === 'object' && f !== null || 'schemaVersion' in f : stryMutAct_9fa48("191") ? false : stryMutAct_9fa48("190") ? true : (stryCov_9fa48("190", "191", "192"), (stryMutAct_9fa48("194") ? typeof f === 'object' || f !== null : stryMutAct_9fa48("193") ? true : (stryCov_9fa48("193", "194"), (stryMutAct_9fa48("196") ? typeof f !== 'object' : stryMutAct_9fa48("195") ? true : (stryCov_9fa48("195", "196"), typeof f === (stryMutAct_9fa48("197") ? "" : (stryCov_9fa48("197"), 'object')))) && (stryMutAct_9fa48("199") ? f === null : stryMutAct_9fa48("198") ? true : (stryCov_9fa48("198", "199"), f !== null)))) && (stryMutAct_9fa48("200") ? "" : (stryCov_9fa48("200"), 'schemaVersion')) in f);
  }
}
function runEfficiency(r: RunRecord, energy: 'joules' | 'paper-sum'): number {
  if (stryMutAct_9fa48("201")) {
    {}
  } else {
    stryCov_9fa48("201");
    const where = stryMutAct_9fa48("202") ? `` : (stryCov_9fa48("202"), `run ${r.runId}`);
    const acc = checkAccuracy(r.final.accuracy, where);
    if (stryMutAct_9fa48("205") ? energy !== 'paper-sum' : stryMutAct_9fa48("204") ? false : stryMutAct_9fa48("203") ? true : (stryCov_9fa48("203", "204", "205"), energy === (stryMutAct_9fa48("206") ? "" : (stryCov_9fa48("206"), 'paper-sum')))) {
      if (stryMutAct_9fa48("207")) {
        {}
      } else {
        stryCov_9fa48("207");
        if (stryMutAct_9fa48("210") ? r.final.paperSumW !== undefined : stryMutAct_9fa48("209") ? false : stryMutAct_9fa48("208") ? true : (stryCov_9fa48("208", "209", "210"), r.final.paperSumW === undefined)) {
          if (stryMutAct_9fa48("211")) {
            {}
          } else {
            stryCov_9fa48("211");
            throw new EfficiencyInputError(stryMutAct_9fa48("212") ? `` : (stryCov_9fa48("212"), `run ${r.runId} has no paperSumW; use energy: 'joules'`), r.runId);
          }
        }
        return stryMutAct_9fa48("213") ? acc * checkEnergy(r.final.paperSumW, `${where} paper-sum`) : (stryCov_9fa48("213"), acc / checkEnergy(r.final.paperSumW, stryMutAct_9fa48("214") ? `` : (stryCov_9fa48("214"), `${where} paper-sum`)));
      }
    }
    return stryMutAct_9fa48("215") ? acc * checkEnergy(r.final.energyJ.total, where) : (stryCov_9fa48("215"), acc / checkEnergy(r.final.energyJ.total, where));
  }
}

/**
 * Eq. 3. With plain model results: the mean of accuracy/energy over them (one per size). With RunRecords:
 * one row per dataset × architecture × criterion, repeats of a size (folds, seeds) averaged first.
 */
export function architectureEfficiency(models: readonly ModelResult[]): number;
export function architectureEfficiency(records: readonly RunRecord[], options?: GroupOptions): ArchitectureEfficiencyRow[];
export function architectureEfficiency(input: readonly ModelResult[] | readonly RunRecord[], options: GroupOptions = {}): number | ArchitectureEfficiencyRow[] {
  if (stryMutAct_9fa48("216")) {
    {}
  } else {
    stryCov_9fa48("216");
    if (stryMutAct_9fa48("219") ? input.length !== 0 : stryMutAct_9fa48("218") ? false : stryMutAct_9fa48("217") ? true : (stryCov_9fa48("217", "218", "219"), input.length === 0)) throw new EfficiencyInputError(stryMutAct_9fa48("220") ? "" : (stryCov_9fa48("220"), 'Eq. 3 needs at least one model or run, found none'), input);
    if (stryMutAct_9fa48("223") ? false : stryMutAct_9fa48("222") ? true : stryMutAct_9fa48("221") ? isRecords(input) : (stryCov_9fa48("221", "222", "223"), !isRecords(input))) {
      if (stryMutAct_9fa48("224")) {
        {}
      } else {
        stryCov_9fa48("224");
        return avg((input as readonly ModelResult[]).map(stryMutAct_9fa48("225") ? () => undefined : (stryCov_9fa48("225"), m => efficiency(m.accuracy, m.energyJ))), stryMutAct_9fa48("226") ? "" : (stryCov_9fa48("226"), 'model efficiencies'));
      }
    }
    const energy = stryMutAct_9fa48("227") ? options.energy && 'joules' : (stryCov_9fa48("227"), options.energy ?? (stryMutAct_9fa48("228") ? "" : (stryCov_9fa48("228"), 'joules')));
    const exclude = stryMutAct_9fa48("231") ? options.unusableRuns !== 'exclude' : stryMutAct_9fa48("230") ? false : stryMutAct_9fa48("229") ? true : (stryCov_9fa48("229", "230", "231"), options.unusableRuns === (stryMutAct_9fa48("232") ? "" : (stryCov_9fa48("232"), 'exclude')));
    type Group = {
      rows: RunRecord[];
      failed: number;
      diverged: number;
      zeroEnergy: number;
    };
    const groups = new Map<string, Group>();
    for (const r of input) {
      if (stryMutAct_9fa48("233")) {
        {}
      } else {
        stryCov_9fa48("233");
        const key = stableStringify(stryMutAct_9fa48("234") ? [] : (stryCov_9fa48("234"), [r.config.dataset, r.config.architecture, criterionKey(r)]));
        const g = stryMutAct_9fa48("235") ? groups.get(key) && {
          rows: [],
          failed: 0,
          diverged: 0,
          zeroEnergy: 0
        } : (stryCov_9fa48("235"), groups.get(key) ?? (stryMutAct_9fa48("236") ? {} : (stryCov_9fa48("236"), {
          rows: stryMutAct_9fa48("237") ? ["Stryker was here"] : (stryCov_9fa48("237"), []),
          failed: 0,
          diverged: 0,
          zeroEnergy: 0
        })));
        const why = runExclusion(r, energy);
        if (stryMutAct_9fa48("240") ? why !== 'failed' : stryMutAct_9fa48("239") ? false : stryMutAct_9fa48("238") ? true : (stryCov_9fa48("238", "239", "240"), why === (stryMutAct_9fa48("241") ? "" : (stryCov_9fa48("241"), 'failed')))) stryMutAct_9fa48("242") ? g.failed-- : (stryCov_9fa48("242"), g.failed++);else if (stryMutAct_9fa48("245") ? why !== 'diverged' : stryMutAct_9fa48("244") ? false : stryMutAct_9fa48("243") ? true : (stryCov_9fa48("243", "244", "245"), why === (stryMutAct_9fa48("246") ? "" : (stryCov_9fa48("246"), 'diverged')))) stryMutAct_9fa48("247") ? g.diverged-- : (stryCov_9fa48("247"), g.diverged++);else if (stryMutAct_9fa48("250") ? why === 'zero-energy' || exclude : stryMutAct_9fa48("249") ? false : stryMutAct_9fa48("248") ? true : (stryCov_9fa48("248", "249", "250"), (stryMutAct_9fa48("252") ? why !== 'zero-energy' : stryMutAct_9fa48("251") ? true : (stryCov_9fa48("251", "252"), why === (stryMutAct_9fa48("253") ? "" : (stryCov_9fa48("253"), 'zero-energy')))) && exclude)) stryMutAct_9fa48("254") ? g.zeroEnergy-- : (stryCov_9fa48("254"), g.zeroEnergy++);else g.rows.push(r); // a zero-energy run without `exclude` reaches checkEnergy and is refused there
        groups.set(key, g);
      }
    }
    const out: ArchitectureEfficiencyRow[] = stryMutAct_9fa48("255") ? ["Stryker was here"] : (stryCov_9fa48("255"), []);
    for (const [key, g] of groups) {
      if (stryMutAct_9fa48("256")) {
        {}
      } else {
        stryCov_9fa48("256");
        const [dataset, architecture, criterion] = JSON.parse(key) as [string, string, string];
        if (stryMutAct_9fa48("259") ? g.rows.length !== 0 : stryMutAct_9fa48("258") ? false : stryMutAct_9fa48("257") ? true : (stryCov_9fa48("257", "258", "259"), g.rows.length === 0)) {
          if (stryMutAct_9fa48("260")) {
            {}
          } else {
            stryCov_9fa48("260");
            if (stryMutAct_9fa48("262") ? false : stryMutAct_9fa48("261") ? true : (stryCov_9fa48("261", "262"), exclude)) continue;
            throw new EfficiencyInputError(stryMutAct_9fa48("263") ? `` : (stryCov_9fa48("263"), `no completed run for ${architecture} on ${dataset} under ${criterion} (${g.failed} failed, ${g.diverged} diverged)`), key);
          }
        }
        const bySize = new Map<number, number[]>();
        for (const r of g.rows) {
          if (stryMutAct_9fa48("264")) {
            {}
          } else {
            stryCov_9fa48("264");
            const list = stryMutAct_9fa48("265") ? bySize.get(r.config.size) && [] : (stryCov_9fa48("265"), bySize.get(r.config.size) ?? (stryMutAct_9fa48("266") ? ["Stryker was here"] : (stryCov_9fa48("266"), [])));
            list.push(runEfficiency(r, energy));
            bySize.set(r.config.size, list);
          }
        }
        const sizes = stryMutAct_9fa48("267") ? [...bySize.entries()].map(([size, xs]) => ({
          size,
          efficiency: avg(xs, 'repeats'),
          runs: xs.length
        })) : (stryCov_9fa48("267"), (stryMutAct_9fa48("268") ? [] : (stryCov_9fa48("268"), [...bySize.entries()])).sort(stryMutAct_9fa48("269") ? () => undefined : (stryCov_9fa48("269"), ([a], [b]) => stryMutAct_9fa48("270") ? a + b : (stryCov_9fa48("270"), a - b))).map(stryMutAct_9fa48("271") ? () => undefined : (stryCov_9fa48("271"), ([size, xs]) => stryMutAct_9fa48("272") ? {} : (stryCov_9fa48("272"), {
          size,
          efficiency: avg(xs, stryMutAct_9fa48("273") ? "" : (stryCov_9fa48("273"), 'repeats')),
          runs: xs.length
        }))));
        const values = sizes.map(stryMutAct_9fa48("274") ? () => undefined : (stryCov_9fa48("274"), s => s.efficiency));
        out.push(stryMutAct_9fa48("275") ? {} : (stryCov_9fa48("275"), {
          dataset,
          architecture,
          criterion,
          sizes,
          efficiency: avg(values, stryMutAct_9fa48("276") ? "" : (stryCov_9fa48("276"), 'sizes')),
          ...(options.bootstrap ? stryMutAct_9fa48("277") ? {} : (stryCov_9fa48("277"), {
            ci: bootstrapArchitectureEfficiency(values, options.bootstrap)
          }) : {}),
          failedRuns: g.failed,
          divergedRuns: g.diverged,
          zeroEnergyRuns: g.zeroEnergy,
          chanceLevelRuns: stryMutAct_9fa48("278") ? g.rows.length : (stryCov_9fa48("278"), g.rows.filter(stryMutAct_9fa48("279") ? () => undefined : (stryCov_9fa48("279"), r => stryMutAct_9fa48("282") ? isChanceLevel(r) !== true : stryMutAct_9fa48("281") ? false : stryMutAct_9fa48("280") ? true : (stryCov_9fa48("280", "281", "282"), isChanceLevel(r) === (stryMutAct_9fa48("283") ? false : (stryCov_9fa48("283"), true))))).length),
          degraded: stryMutAct_9fa48("284") ? g.rows.every(r => r.final.degraded) : (stryCov_9fa48("284"), g.rows.some(stryMutAct_9fa48("285") ? () => undefined : (stryCov_9fa48("285"), r => r.final.degraded))),
          estimated: stryMutAct_9fa48("286") ? g.rows.every(r => r.final.estimated) : (stryCov_9fa48("286"), g.rows.some(stryMutAct_9fa48("287") ? () => undefined : (stryCov_9fa48("287"), r => r.final.estimated)))
        }));
      }
    }
    return out;
  }
}
export interface OverallEfficiencyRow {
  dataset: string;
  architecture: string;
  /** Criteria averaged (keys as in ArchitectureEfficiencyRow.criterion). */
  criteria: string[];
  /** Eq. 4: mean of Eq. 3 over criteria. */
  efficiency: number;
  ci?: ConfidenceInterval;
  degraded: boolean;
  estimated: boolean;
}
export interface OverallOptions extends GroupOptions {
  /** Only these criterion keys (e.g. leave out a 100-epoch extension); default all. */
  criteria?: readonly string[];
}

/**
 * Eq. 4. With numbers (Eq. 3 per criterion): their mean. With RunRecords: one row per dataset × architecture,
 * the mean over criteria of Eq. 3.
 */
export function overallEfficiency(perCriterion: readonly number[]): number;
export function overallEfficiency(records: readonly RunRecord[], options?: OverallOptions): OverallEfficiencyRow[];
export function overallEfficiency(input: readonly number[] | readonly RunRecord[], options: OverallOptions = {}): number | OverallEfficiencyRow[] {
  if (stryMutAct_9fa48("288")) {
    {}
  } else {
    stryCov_9fa48("288");
    if (stryMutAct_9fa48("291") ? input.length !== 0 : stryMutAct_9fa48("290") ? false : stryMutAct_9fa48("289") ? true : (stryCov_9fa48("289", "290", "291"), input.length === 0)) throw new EfficiencyInputError(stryMutAct_9fa48("292") ? "" : (stryCov_9fa48("292"), 'Eq. 4 needs at least one value or run, found none'), input);
    if (stryMutAct_9fa48("295") ? false : stryMutAct_9fa48("294") ? true : stryMutAct_9fa48("293") ? isRecords(input) : (stryCov_9fa48("293", "294", "295"), !isRecords(input))) {
      if (stryMutAct_9fa48("296")) {
        {}
      } else {
        stryCov_9fa48("296");
        (input as readonly number[]).forEach((v, i) => {
          if (stryMutAct_9fa48("297")) {
            {}
          } else {
            stryCov_9fa48("297");
            if (stryMutAct_9fa48("300") ? !Number.isFinite(v) && v < 0 : stryMutAct_9fa48("299") ? false : stryMutAct_9fa48("298") ? true : (stryCov_9fa48("298", "299", "300"), (stryMutAct_9fa48("301") ? Number.isFinite(v) : (stryCov_9fa48("301"), !Number.isFinite(v))) || (stryMutAct_9fa48("304") ? v >= 0 : stryMutAct_9fa48("303") ? v <= 0 : stryMutAct_9fa48("302") ? false : (stryCov_9fa48("302", "303", "304"), v < 0)))) {
              if (stryMutAct_9fa48("305")) {
                {}
              } else {
                stryCov_9fa48("305");
                throw new EfficiencyInputError(stryMutAct_9fa48("306") ? `` : (stryCov_9fa48("306"), `Eq. 4: efficiency ${i} must be a finite number >= 0, found ${v}`), v);
              }
            }
          }
        });
        return avg(input as readonly number[], stryMutAct_9fa48("307") ? "" : (stryCov_9fa48("307"), 'criteria'));
      }
    }
    const selected = options.criteria;
    const records = selected ? stryMutAct_9fa48("308") ? input : (stryCov_9fa48("308"), input.filter(stryMutAct_9fa48("309") ? () => undefined : (stryCov_9fa48("309"), r => selected.includes(criterionKey(r))))) : input;
    if (stryMutAct_9fa48("312") ? records.length !== 0 : stryMutAct_9fa48("311") ? false : stryMutAct_9fa48("310") ? true : (stryCov_9fa48("310", "311", "312"), records.length === 0)) {
      if (stryMutAct_9fa48("313")) {
        {}
      } else {
        stryCov_9fa48("313");
        throw new EfficiencyInputError(stryMutAct_9fa48("314") ? `` : (stryCov_9fa48("314"), `Eq. 4: no run matches criteria ${JSON.stringify(selected)}`), selected);
      }
    }
    const {
      bootstrap,
      ...rest
    } = options;
    const rows = architectureEfficiency(records, rest);
    const groups = new Map<string, ArchitectureEfficiencyRow[]>();
    for (const row of rows) {
      if (stryMutAct_9fa48("315")) {
        {}
      } else {
        stryCov_9fa48("315");
        const key = stableStringify(stryMutAct_9fa48("316") ? [] : (stryCov_9fa48("316"), [row.dataset, row.architecture]));
        groups.set(key, stryMutAct_9fa48("317") ? [] : (stryCov_9fa48("317"), [...(stryMutAct_9fa48("318") ? groups.get(key) && [] : (stryCov_9fa48("318"), groups.get(key) ?? (stryMutAct_9fa48("319") ? ["Stryker was here"] : (stryCov_9fa48("319"), [])))), row]));
      }
    }
    return (stryMutAct_9fa48("320") ? [] : (stryCov_9fa48("320"), [...groups.entries()])).map(([key, rs]) => {
      if (stryMutAct_9fa48("321")) {
        {}
      } else {
        stryCov_9fa48("321");
        const [dataset, architecture] = JSON.parse(key) as [string, string];
        return stryMutAct_9fa48("322") ? {} : (stryCov_9fa48("322"), {
          dataset,
          architecture,
          criteria: rs.map(stryMutAct_9fa48("323") ? () => undefined : (stryCov_9fa48("323"), r => r.criterion)),
          efficiency: avg(rs.map(stryMutAct_9fa48("324") ? () => undefined : (stryCov_9fa48("324"), r => r.efficiency)), stryMutAct_9fa48("325") ? "" : (stryCov_9fa48("325"), 'criteria')),
          ...(bootstrap ? stryMutAct_9fa48("326") ? {} : (stryCov_9fa48("326"), {
            ci: bootstrapOverallEfficiency(rs.map(stryMutAct_9fa48("327") ? () => undefined : (stryCov_9fa48("327"), r => r.sizes.map(stryMutAct_9fa48("328") ? () => undefined : (stryCov_9fa48("328"), s => s.efficiency)))), bootstrap)
          }) : {}),
          degraded: stryMutAct_9fa48("329") ? rs.every(r => r.degraded) : (stryCov_9fa48("329"), rs.some(stryMutAct_9fa48("330") ? () => undefined : (stryCov_9fa48("330"), r => r.degraded))),
          estimated: stryMutAct_9fa48("331") ? rs.every(r => r.estimated) : (stryCov_9fa48("331"), rs.some(stryMutAct_9fa48("332") ? () => undefined : (stryCov_9fa48("332"), r => r.estimated)))
        });
      }
    });
  }
}

// -------------------------------------------------------------------- ratios

export interface TaskRatio {
  architecture: string;
  numerator: string;
  denominator: string;
  /** Eq. 4 on `numerator` dataset / Eq. 4 on `denominator` dataset. */
  ratio: number;
}
export interface ArchitectureRatio {
  dataset: string;
  numerator: string;
  denominator: string;
  ratio: number;
}
export interface EfficiencyRatios {
  tasks: TaskRatio[];
  architectures: ArchitectureRatio[];
}

/**
 * Table 12: for every architecture, A on T1 / A on T2 for each ordered pair of datasets (in the order given,
 * default first seen); for every dataset, A1 / A2 for each ordered pair of architectures.
 * Input: Eq. 4 rows (or any `{ dataset, architecture, efficiency }`) or RunRecords (Eq. 4 computed first).
 */
export function efficiencyRatios(input: readonly {
  dataset: string;
  architecture: string;
  efficiency: number;
}[] | readonly RunRecord[], options: OverallOptions & {
  datasets?: readonly string[];
  architectures?: readonly string[];
} = {}): EfficiencyRatios {
  if (stryMutAct_9fa48("333")) {
    {}
  } else {
    stryCov_9fa48("333");
    if (stryMutAct_9fa48("336") ? input.length !== 0 : stryMutAct_9fa48("335") ? false : stryMutAct_9fa48("334") ? true : (stryCov_9fa48("334", "335", "336"), input.length === 0)) throw new EfficiencyInputError(stryMutAct_9fa48("337") ? "" : (stryCov_9fa48("337"), 'efficiencyRatios: no input'), input);
    const rows = isRecords(input) ? overallEfficiency(input, options) : input;
    const value = new Map<string, number>();
    for (const r of rows) {
      if (stryMutAct_9fa48("338")) {
        {}
      } else {
        stryCov_9fa48("338");
        if (stryMutAct_9fa48("341") ? !Number.isFinite(r.efficiency) && r.efficiency <= 0 : stryMutAct_9fa48("340") ? false : stryMutAct_9fa48("339") ? true : (stryCov_9fa48("339", "340", "341"), (stryMutAct_9fa48("342") ? Number.isFinite(r.efficiency) : (stryCov_9fa48("342"), !Number.isFinite(r.efficiency))) || (stryMutAct_9fa48("345") ? r.efficiency > 0 : stryMutAct_9fa48("344") ? r.efficiency < 0 : stryMutAct_9fa48("343") ? false : (stryCov_9fa48("343", "344", "345"), r.efficiency <= 0)))) {
          if (stryMutAct_9fa48("346")) {
            {}
          } else {
            stryCov_9fa48("346");
            throw new EfficiencyInputError(stryMutAct_9fa48("347") ? `` : (stryCov_9fa48("347"), `efficiency of ${r.architecture} on ${r.dataset} must be > 0 for a ratio, found ${r.efficiency}`), r.efficiency);
          }
        }
        value.set(stableStringify(stryMutAct_9fa48("348") ? [] : (stryCov_9fa48("348"), [r.dataset, r.architecture])), r.efficiency);
      }
    }
    const datasets = stryMutAct_9fa48("349") ? options.datasets && [...new Set(rows.map(r => r.dataset))] : (stryCov_9fa48("349"), options.datasets ?? (stryMutAct_9fa48("350") ? [] : (stryCov_9fa48("350"), [...new Set(rows.map(stryMutAct_9fa48("351") ? () => undefined : (stryCov_9fa48("351"), r => r.dataset)))])));
    const archs = stryMutAct_9fa48("352") ? options.architectures && [...new Set(rows.map(r => r.architecture))] : (stryCov_9fa48("352"), options.architectures ?? (stryMutAct_9fa48("353") ? [] : (stryCov_9fa48("353"), [...new Set(rows.map(stryMutAct_9fa48("354") ? () => undefined : (stryCov_9fa48("354"), r => r.architecture)))])));
    const get = stryMutAct_9fa48("355") ? () => undefined : (stryCov_9fa48("355"), (() => {
      const get = (d: string, a: string) => value.get(stableStringify(stryMutAct_9fa48("356") ? [] : (stryCov_9fa48("356"), [d, a])));
      return get;
    })());
    const tasks: TaskRatio[] = stryMutAct_9fa48("357") ? ["Stryker was here"] : (stryCov_9fa48("357"), []);
    for (const a of archs) for (let i = 0; stryMutAct_9fa48("360") ? i >= datasets.length : stryMutAct_9fa48("359") ? i <= datasets.length : stryMutAct_9fa48("358") ? false : (stryCov_9fa48("358", "359", "360"), i < datasets.length); stryMutAct_9fa48("361") ? i-- : (stryCov_9fa48("361"), i++)) for (let j = stryMutAct_9fa48("362") ? i - 1 : (stryCov_9fa48("362"), i + 1); stryMutAct_9fa48("365") ? j >= datasets.length : stryMutAct_9fa48("364") ? j <= datasets.length : stryMutAct_9fa48("363") ? false : (stryCov_9fa48("363", "364", "365"), j < datasets.length); stryMutAct_9fa48("366") ? j-- : (stryCov_9fa48("366"), j++)) {
      if (stryMutAct_9fa48("367")) {
        {}
      } else {
        stryCov_9fa48("367");
        const n = get(datasets[i] as string, a);
        const d = get(datasets[j] as string, a);
        if (stryMutAct_9fa48("370") ? n !== undefined || d !== undefined : stryMutAct_9fa48("369") ? false : stryMutAct_9fa48("368") ? true : (stryCov_9fa48("368", "369", "370"), (stryMutAct_9fa48("372") ? n === undefined : stryMutAct_9fa48("371") ? true : (stryCov_9fa48("371", "372"), n !== undefined)) && (stryMutAct_9fa48("374") ? d === undefined : stryMutAct_9fa48("373") ? true : (stryCov_9fa48("373", "374"), d !== undefined)))) {
          if (stryMutAct_9fa48("375")) {
            {}
          } else {
            stryCov_9fa48("375");
            tasks.push(stryMutAct_9fa48("376") ? {} : (stryCov_9fa48("376"), {
              architecture: a,
              numerator: datasets[i] as string,
              denominator: datasets[j] as string,
              ratio: stryMutAct_9fa48("377") ? n * d : (stryCov_9fa48("377"), n / d)
            }));
          }
        }
      }
    }
    const architectures: ArchitectureRatio[] = stryMutAct_9fa48("378") ? ["Stryker was here"] : (stryCov_9fa48("378"), []);
    for (const ds of datasets) for (let i = 0; stryMutAct_9fa48("381") ? i >= archs.length : stryMutAct_9fa48("380") ? i <= archs.length : stryMutAct_9fa48("379") ? false : (stryCov_9fa48("379", "380", "381"), i < archs.length); stryMutAct_9fa48("382") ? i-- : (stryCov_9fa48("382"), i++)) for (let j = stryMutAct_9fa48("383") ? i - 1 : (stryCov_9fa48("383"), i + 1); stryMutAct_9fa48("386") ? j >= archs.length : stryMutAct_9fa48("385") ? j <= archs.length : stryMutAct_9fa48("384") ? false : (stryCov_9fa48("384", "385", "386"), j < archs.length); stryMutAct_9fa48("387") ? j-- : (stryCov_9fa48("387"), j++)) {
      if (stryMutAct_9fa48("388")) {
        {}
      } else {
        stryCov_9fa48("388");
        const n = get(ds, archs[i] as string);
        const d = get(ds, archs[j] as string);
        if (stryMutAct_9fa48("391") ? n !== undefined || d !== undefined : stryMutAct_9fa48("390") ? false : stryMutAct_9fa48("389") ? true : (stryCov_9fa48("389", "390", "391"), (stryMutAct_9fa48("393") ? n === undefined : stryMutAct_9fa48("392") ? true : (stryCov_9fa48("392", "393"), n !== undefined)) && (stryMutAct_9fa48("395") ? d === undefined : stryMutAct_9fa48("394") ? true : (stryCov_9fa48("394", "395"), d !== undefined)))) {
          if (stryMutAct_9fa48("396")) {
            {}
          } else {
            stryCov_9fa48("396");
            architectures.push(stryMutAct_9fa48("397") ? {} : (stryCov_9fa48("397"), {
              dataset: ds,
              numerator: archs[i] as string,
              denominator: archs[j] as string,
              ratio: stryMutAct_9fa48("398") ? n * d : (stryCov_9fa48("398"), n / d)
            }));
          }
        }
      }
    }
    return stryMutAct_9fa48("399") ? {} : (stryCov_9fa48("399"), {
      tasks,
      architectures
    });
  }
}

// --------------------------------------------------------------- overtraining

export interface OvertrainingInput {
  train50: number;
  test50: number;
  train100: number;
  test100: number;
}
export interface OvertrainingRule {
  /** Decimals A and B are rounded to before judging (the paper: 2). */
  decimals: number;
  /** A rounded <= this means no real test gain -> overtrained (the paper: 0). */
  minTestGain: number;
  /** Overtrained when rounded B >= comparableRatio × rounded A ("B of the same order as A"). */
  comparableRatio: number;
}

/**
 * Default rule. The paper's 20 rows put the boundary between B/A = 0.2 (BCNN CIFAR, not overtrained) and
 * B/A = 0.5 (LeNet-1 CIFAR, overtrained); 0.3 sits inside it and reproduces all 20 classifications.
 */
export const DEFAULT_OVERTRAINING_RULE: OvertrainingRule = stryMutAct_9fa48("400") ? {} : (stryCov_9fa48("400"), {
  decimals: 2,
  minTestGain: 0,
  comparableRatio: 0.3
});

/**
 * The rule in words, for the note under Table 13: derived from the rule object, so what a report prints is
 * what overtrainingOf applies. E.g. `Overtrained when A ≤ 0 (no real test gain) or B ≥ 0.3·A (...)`.
 */
export function describeOvertrainingRule(rule: Partial<OvertrainingRule> = {}): string {
  if (stryMutAct_9fa48("401")) {
    {}
  } else {
    stryCov_9fa48("401");
    const r = stryMutAct_9fa48("402") ? {} : (stryCov_9fa48("402"), {
      ...DEFAULT_OVERTRAINING_RULE,
      ...rule
    });
    return (stryMutAct_9fa48("403") ? `` : (stryCov_9fa48("403"), `A and B are rounded to ${r.decimals} decimals. Overtrained when A ≤ ${r.minTestGain} (no real test gain) `)) + (stryMutAct_9fa48("404") ? `` : (stryCov_9fa48("404"), `or B ≥ ${r.comparableRatio}·A (the train/test divergence grew comparably to the test gain).`));
  }
}
export interface OvertrainingResult extends OvertrainingInput {
  diff50: number;
  diff100: number;
  /** test100 − test50. */
  a: number;
  /** (train100 − test100) − (train50 − test50). */
  b: number;
  aRounded: number;
  bRounded: number;
  overtrained: boolean;
  reason: string;
}
function round(x: number, decimals: number): number {
  if (stryMutAct_9fa48("405")) {
    {}
  } else {
    stryCov_9fa48("405");
    const f = 10 ** decimals;
    // + 0 turns -0 into 0.
    return stryMutAct_9fa48("406") ? Math.round(x * f + Number.EPSILON * Math.sign(x)) / f - 0 : (stryCov_9fa48("406"), (stryMutAct_9fa48("407") ? Math.round(x * f + Number.EPSILON * Math.sign(x)) * f : (stryCov_9fa48("407"), Math.round(stryMutAct_9fa48("408") ? x * f - Number.EPSILON * Math.sign(x) : (stryCov_9fa48("408"), (stryMutAct_9fa48("409") ? x / f : (stryCov_9fa48("409"), x * f)) + (stryMutAct_9fa48("410") ? Number.EPSILON / Math.sign(x) : (stryCov_9fa48("410"), Number.EPSILON * Math.sign(x))))) / f)) + 0);
  }
}

/** Table 13 for one model: A, B and the overtraining verdict under `rule`. */
export function overtrainingOf(x: OvertrainingInput, rule: Partial<OvertrainingRule> = {}): OvertrainingResult {
  if (stryMutAct_9fa48("411")) {
    {}
  } else {
    stryCov_9fa48("411");
    const r = stryMutAct_9fa48("412") ? {} : (stryCov_9fa48("412"), {
      ...DEFAULT_OVERTRAINING_RULE,
      ...rule
    });
    for (const k of ['train50', 'test50', 'train100', 'test100'] as const) checkAccuracy(x[k], stryMutAct_9fa48("413") ? `` : (stryCov_9fa48("413"), `overtraining ${k}`));
    const diff50 = stryMutAct_9fa48("414") ? x.train50 + x.test50 : (stryCov_9fa48("414"), x.train50 - x.test50);
    const diff100 = stryMutAct_9fa48("415") ? x.train100 + x.test100 : (stryCov_9fa48("415"), x.train100 - x.test100);
    const a = stryMutAct_9fa48("416") ? x.test100 + x.test50 : (stryCov_9fa48("416"), x.test100 - x.test50);
    const b = stryMutAct_9fa48("417") ? diff100 + diff50 : (stryCov_9fa48("417"), diff100 - diff50);
    const aRounded = round(a, r.decimals);
    const bRounded = round(b, r.decimals);
    let overtrained: boolean;
    let reason: string;
    if (stryMutAct_9fa48("421") ? aRounded > r.minTestGain : stryMutAct_9fa48("420") ? aRounded < r.minTestGain : stryMutAct_9fa48("419") ? false : stryMutAct_9fa48("418") ? true : (stryCov_9fa48("418", "419", "420", "421"), aRounded <= r.minTestGain)) {
      if (stryMutAct_9fa48("422")) {
        {}
      } else {
        stryCov_9fa48("422");
        overtrained = stryMutAct_9fa48("423") ? false : (stryCov_9fa48("423"), true);
        reason = stryMutAct_9fa48("424") ? `` : (stryCov_9fa48("424"), `no real test gain from the extra epochs (A = ${aRounded} ≤ ${r.minTestGain})`);
      }
    } else if (stryMutAct_9fa48("428") ? bRounded < r.comparableRatio * aRounded : stryMutAct_9fa48("427") ? bRounded > r.comparableRatio * aRounded : stryMutAct_9fa48("426") ? false : stryMutAct_9fa48("425") ? true : (stryCov_9fa48("425", "426", "427", "428"), bRounded >= (stryMutAct_9fa48("429") ? r.comparableRatio / aRounded : (stryCov_9fa48("429"), r.comparableRatio * aRounded)))) {
      if (stryMutAct_9fa48("430")) {
        {}
      } else {
        stryCov_9fa48("430");
        overtrained = stryMutAct_9fa48("431") ? false : (stryCov_9fa48("431"), true);
        reason = stryMutAct_9fa48("432") ? `` : (stryCov_9fa48("432"), `train/test divergence grew comparably to the test gain (B = ${bRounded} ≥ ${r.comparableRatio} × A = ${aRounded})`);
      }
    } else {
      if (stryMutAct_9fa48("433")) {
        {}
      } else {
        stryCov_9fa48("433");
        overtrained = stryMutAct_9fa48("434") ? true : (stryCov_9fa48("434"), false);
        reason = stryMutAct_9fa48("435") ? `` : (stryCov_9fa48("435"), `test gain A = ${aRounded} clearly exceeds the divergence B = ${bRounded}`);
      }
    }
    return stryMutAct_9fa48("436") ? {} : (stryCov_9fa48("436"), {
      ...x,
      diff50,
      diff100,
      a,
      b,
      aRounded,
      bRounded,
      overtrained,
      reason
    });
  }
}
export interface OvertrainingRow extends OvertrainingResult {
  dataset: string;
  architecture: string;
  size: number;
  /** Runs averaged (folds, seeds). */
  runs: number;
}
export interface OvertrainingAnalysis {
  rows: OvertrainingRow[];
  /** Runs that could not be used, with why (not silently dropped). */
  skipped: Array<{
    runId: string;
    reason: string;
  }>;
}

/**
 * Table 13. With plain inputs: one verdict per row. With RunRecords: for every run that has epoch records at
 * `shortEpochs` and `longEpochs` (default 50, 100), train/test accuracy there; repeats averaged per
 * dataset × architecture × size before A and B are computed.
 */
export function analyzeOvertraining(rows: readonly OvertrainingInput[], options?: {
  rule?: Partial<OvertrainingRule>;
}): OvertrainingResult[];
export function analyzeOvertraining(records: readonly RunRecord[], options?: {
  rule?: Partial<OvertrainingRule>;
  shortEpochs?: number;
  longEpochs?: number;
}): OvertrainingAnalysis;
export function analyzeOvertraining(input: readonly OvertrainingInput[] | readonly RunRecord[], options: {
  rule?: Partial<OvertrainingRule>;
  shortEpochs?: number;
  longEpochs?: number;
} = {}): OvertrainingResult[] | OvertrainingAnalysis {
  if (stryMutAct_9fa48("437")) {
    {}
  } else {
    stryCov_9fa48("437");
    if (stryMutAct_9fa48("440") ? input.length !== 0 : stryMutAct_9fa48("439") ? false : stryMutAct_9fa48("438") ? true : (stryCov_9fa48("438", "439", "440"), input.length === 0)) throw new EfficiencyInputError(stryMutAct_9fa48("441") ? "" : (stryCov_9fa48("441"), 'analyzeOvertraining: no input'), input);
    if (stryMutAct_9fa48("444") ? false : stryMutAct_9fa48("443") ? true : stryMutAct_9fa48("442") ? isRecords(input) : (stryCov_9fa48("442", "443", "444"), !isRecords(input))) return (input as readonly OvertrainingInput[]).map(stryMutAct_9fa48("445") ? () => undefined : (stryCov_9fa48("445"), x => overtrainingOf(x, options.rule)));
    const short = stryMutAct_9fa48("446") ? options.shortEpochs && 50 : (stryCov_9fa48("446"), options.shortEpochs ?? 50);
    const long = stryMutAct_9fa48("447") ? options.longEpochs && 100 : (stryCov_9fa48("447"), options.longEpochs ?? 100);
    const skipped: OvertrainingAnalysis['skipped'] = stryMutAct_9fa48("448") ? ["Stryker was here"] : (stryCov_9fa48("448"), []);
    const groups = new Map<string, OvertrainingInput[]>();
    for (const r of input) {
      if (stryMutAct_9fa48("449")) {
        {}
      } else {
        stryCov_9fa48("449");
        if (stryMutAct_9fa48("452") ? r.status === 'completed' : stryMutAct_9fa48("451") ? false : stryMutAct_9fa48("450") ? true : (stryCov_9fa48("450", "451", "452"), r.status !== (stryMutAct_9fa48("453") ? "" : (stryCov_9fa48("453"), 'completed')))) {
          if (stryMutAct_9fa48("454")) {
            {}
          } else {
            stryCov_9fa48("454");
            skipped.push(stryMutAct_9fa48("455") ? {} : (stryCov_9fa48("455"), {
              runId: r.runId,
              reason: stryMutAct_9fa48("456") ? `` : (stryCov_9fa48("456"), `run ${r.status}`)
            }));
            continue;
          }
        }
        const s = r.epochs.find(stryMutAct_9fa48("457") ? () => undefined : (stryCov_9fa48("457"), e => stryMutAct_9fa48("460") ? e.epoch !== short : stryMutAct_9fa48("459") ? false : stryMutAct_9fa48("458") ? true : (stryCov_9fa48("458", "459", "460"), e.epoch === short)));
        const l = r.epochs.find(stryMutAct_9fa48("461") ? () => undefined : (stryCov_9fa48("461"), e => stryMutAct_9fa48("464") ? e.epoch !== long : stryMutAct_9fa48("463") ? false : stryMutAct_9fa48("462") ? true : (stryCov_9fa48("462", "463", "464"), e.epoch === long)));
        if (stryMutAct_9fa48("467") ? !s && !l : stryMutAct_9fa48("466") ? false : stryMutAct_9fa48("465") ? true : (stryCov_9fa48("465", "466", "467"), (stryMutAct_9fa48("468") ? s : (stryCov_9fa48("468"), !s)) || (stryMutAct_9fa48("469") ? l : (stryCov_9fa48("469"), !l)))) {
          if (stryMutAct_9fa48("470")) {
            {}
          } else {
            stryCov_9fa48("470");
            skipped.push(stryMutAct_9fa48("471") ? {} : (stryCov_9fa48("471"), {
              runId: r.runId,
              reason: stryMutAct_9fa48("472") ? `` : (stryCov_9fa48("472"), `no epoch records at both ${short} and ${long}`)
            }));
            continue;
          }
        }
        if (stryMutAct_9fa48("475") ? (s.trainAccuracy === null || s.testAccuracy === null || l.trainAccuracy === null) && l.testAccuracy === null : stryMutAct_9fa48("474") ? false : stryMutAct_9fa48("473") ? true : (stryCov_9fa48("473", "474", "475"), (stryMutAct_9fa48("477") ? (s.trainAccuracy === null || s.testAccuracy === null) && l.trainAccuracy === null : stryMutAct_9fa48("476") ? false : (stryCov_9fa48("476", "477"), (stryMutAct_9fa48("479") ? s.trainAccuracy === null && s.testAccuracy === null : stryMutAct_9fa48("478") ? false : (stryCov_9fa48("478", "479"), (stryMutAct_9fa48("481") ? s.trainAccuracy !== null : stryMutAct_9fa48("480") ? false : (stryCov_9fa48("480", "481"), s.trainAccuracy === null)) || (stryMutAct_9fa48("483") ? s.testAccuracy !== null : stryMutAct_9fa48("482") ? false : (stryCov_9fa48("482", "483"), s.testAccuracy === null)))) || (stryMutAct_9fa48("485") ? l.trainAccuracy !== null : stryMutAct_9fa48("484") ? false : (stryCov_9fa48("484", "485"), l.trainAccuracy === null)))) || (stryMutAct_9fa48("487") ? l.testAccuracy !== null : stryMutAct_9fa48("486") ? false : (stryCov_9fa48("486", "487"), l.testAccuracy === null)))) {
          if (stryMutAct_9fa48("488")) {
            {}
          } else {
            stryCov_9fa48("488");
            skipped.push(stryMutAct_9fa48("489") ? {} : (stryCov_9fa48("489"), {
              runId: r.runId,
              reason: stryMutAct_9fa48("490") ? `` : (stryCov_9fa48("490"), `train or test accuracy missing at epoch ${short} or ${long}`)
            }));
            continue;
          }
        }
        const key = stableStringify(stryMutAct_9fa48("491") ? [] : (stryCov_9fa48("491"), [r.config.dataset, r.config.architecture, r.config.size]));
        groups.set(key, stryMutAct_9fa48("492") ? [] : (stryCov_9fa48("492"), [...(stryMutAct_9fa48("493") ? groups.get(key) && [] : (stryCov_9fa48("493"), groups.get(key) ?? (stryMutAct_9fa48("494") ? ["Stryker was here"] : (stryCov_9fa48("494"), [])))), stryMutAct_9fa48("495") ? {} : (stryCov_9fa48("495"), {
          train50: s.trainAccuracy,
          test50: s.testAccuracy,
          train100: l.trainAccuracy,
          test100: l.testAccuracy
        })]));
      }
    }
    const rows: OvertrainingRow[] = (stryMutAct_9fa48("496") ? [] : (stryCov_9fa48("496"), [...groups.entries()])).map(([key, xs]) => {
      if (stryMutAct_9fa48("497")) {
        {}
      } else {
        stryCov_9fa48("497");
        const [dataset, architecture, size] = JSON.parse(key) as [string, string, number];
        const m = stryMutAct_9fa48("498") ? () => undefined : (stryCov_9fa48("498"), (() => {
          const m = (k: keyof OvertrainingInput) => avg(xs.map(stryMutAct_9fa48("499") ? () => undefined : (stryCov_9fa48("499"), x => x[k])), k);
          return m;
        })());
        return stryMutAct_9fa48("500") ? {} : (stryCov_9fa48("500"), {
          dataset,
          architecture,
          size,
          runs: xs.length,
          ...overtrainingOf(stryMutAct_9fa48("501") ? {} : (stryCov_9fa48("501"), {
            train50: m(stryMutAct_9fa48("502") ? "" : (stryCov_9fa48("502"), 'train50')),
            test50: m(stryMutAct_9fa48("503") ? "" : (stryCov_9fa48("503"), 'test50')),
            train100: m(stryMutAct_9fa48("504") ? "" : (stryCov_9fa48("504"), 'train100')),
            test100: m(stryMutAct_9fa48("505") ? "" : (stryCov_9fa48("505"), 'test100'))
          }), options.rule)
        });
      }
    });
    return stryMutAct_9fa48("506") ? {} : (stryCov_9fa48("506"), {
      rows,
      skipped
    });
  }
}