// @ts-nocheck
// Stopping criteria (the paper's four, combinators, a hard epoch cap), describable as config and rebuilt from it.
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
import { z } from 'zod';
import type { StopDecision } from './schema.js';
import { StoppingCriterionConfigSchema } from './schema.js';
export type StoppingCriterionConfig = z.input<typeof StoppingCriterionConfigSchema>;

/** What a criterion sees after an epoch. Accuracies in [0, 1], null when not measured. */
export interface EpochState {
  /** 1-based number of the epoch that just ended. */
  epoch: number;
  trainAccuracy: number | null;
  validationAccuracy: number | null;
  testAccuracy?: number | null;
  /** Total energy (J, EnergyByComponent.total) since training started. */
  cumulativeEnergyJ: number;
  elapsedMs: number;
}

/** What a criterion sees after a batch (only criteria with `checksBatches` need it). */
export interface BatchState {
  /** 1-based epoch in progress. */
  epoch: number;
  /** 1-based batch number within the epoch. */
  batch: number;
  cumulativeEnergyJ: number;
  elapsedMs: number;
}

/** The per-run state of a criterion: call afterEpoch after every epoch, afterBatch after every batch if wanted. */
export interface CriterionRun {
  afterEpoch(state: EpochState): StopDecision | null;
  afterBatch(state: BatchState): StopDecision | null;
}

/**
 * A stopping criterion. It holds only options; `start()` gives fresh state for one run, so one criterion
 * object can serve a whole grid.
 */
export interface StoppingCriterion {
  /** Config name, e.g. `earlyStopping`; also StopDecision.criterion when this criterion stops a run. */
  readonly name: string;
  /** Human label for reports, e.g. `early stopping (patience 3)`. */
  readonly label: string;
  /** True when it wants afterBatch calls (an energy budget checked per batch). */
  readonly checksBatches: boolean;
  start(): CriterionRun;
  toConfig(): StoppingCriterionConfig;
}

/** Bad criterion options or config, or a state the criterion cannot judge (e.g. no validation accuracy). */
export class CriterionError extends Error {
  readonly code = stryMutAct_9fa48("0") ? "" : (stryCov_9fa48("0"), 'E_CRITERION');
  constructor(message: string, readonly value: unknown) {
    super(message);
    this.name = stryMutAct_9fa48("1") ? "" : (stryCov_9fa48("1"), 'CriterionError');
  }
}
function checkAccuracy(name: string, v: number | null | undefined, epoch: number): number | null {
  if (stryMutAct_9fa48("2")) {
    {}
  } else {
    stryCov_9fa48("2");
    if (stryMutAct_9fa48("5") ? v === null && v === undefined : stryMutAct_9fa48("4") ? false : stryMutAct_9fa48("3") ? true : (stryCov_9fa48("3", "4", "5"), (stryMutAct_9fa48("7") ? v !== null : stryMutAct_9fa48("6") ? false : (stryCov_9fa48("6", "7"), v === null)) || (stryMutAct_9fa48("9") ? v !== undefined : stryMutAct_9fa48("8") ? false : (stryCov_9fa48("8", "9"), v === undefined)))) return null;
    if (stryMutAct_9fa48("12") ? (typeof v !== 'number' || !Number.isFinite(v) || v < 0) && v > 1 : stryMutAct_9fa48("11") ? false : stryMutAct_9fa48("10") ? true : (stryCov_9fa48("10", "11", "12"), (stryMutAct_9fa48("14") ? (typeof v !== 'number' || !Number.isFinite(v)) && v < 0 : stryMutAct_9fa48("13") ? false : (stryCov_9fa48("13", "14"), (stryMutAct_9fa48("16") ? typeof v !== 'number' && !Number.isFinite(v) : stryMutAct_9fa48("15") ? false : (stryCov_9fa48("15", "16"), (stryMutAct_9fa48("18") ? typeof v === 'number' : stryMutAct_9fa48("17") ? false : (stryCov_9fa48("17", "18"), typeof v !== (stryMutAct_9fa48("19") ? "" : (stryCov_9fa48("19"), 'number')))) || (stryMutAct_9fa48("20") ? Number.isFinite(v) : (stryCov_9fa48("20"), !Number.isFinite(v))))) || (stryMutAct_9fa48("23") ? v >= 0 : stryMutAct_9fa48("22") ? v <= 0 : stryMutAct_9fa48("21") ? false : (stryCov_9fa48("21", "22", "23"), v < 0)))) || (stryMutAct_9fa48("26") ? v <= 1 : stryMutAct_9fa48("25") ? v >= 1 : stryMutAct_9fa48("24") ? false : (stryCov_9fa48("24", "25", "26"), v > 1)))) {
      if (stryMutAct_9fa48("27")) {
        {}
      } else {
        stryCov_9fa48("27");
        throw new CriterionError(stryMutAct_9fa48("28") ? `` : (stryCov_9fa48("28"), `${name} must be in [0, 1], found ${String(v)} after epoch ${epoch}`), v);
      }
    }
    return v;
  }
}
function checkEpochState(s: EpochState): void {
  if (stryMutAct_9fa48("29")) {
    {}
  } else {
    stryCov_9fa48("29");
    if (stryMutAct_9fa48("32") ? !Number.isInteger(s.epoch) && s.epoch < 1 : stryMutAct_9fa48("31") ? false : stryMutAct_9fa48("30") ? true : (stryCov_9fa48("30", "31", "32"), (stryMutAct_9fa48("33") ? Number.isInteger(s.epoch) : (stryCov_9fa48("33"), !Number.isInteger(s.epoch))) || (stryMutAct_9fa48("36") ? s.epoch >= 1 : stryMutAct_9fa48("35") ? s.epoch <= 1 : stryMutAct_9fa48("34") ? false : (stryCov_9fa48("34", "35", "36"), s.epoch < 1)))) {
      if (stryMutAct_9fa48("37")) {
        {}
      } else {
        stryCov_9fa48("37");
        throw new CriterionError(stryMutAct_9fa48("38") ? `` : (stryCov_9fa48("38"), `epoch must be an integer >= 1, found ${String(s.epoch)}`), s.epoch);
      }
    }
    if (stryMutAct_9fa48("41") ? !Number.isFinite(s.cumulativeEnergyJ) && s.cumulativeEnergyJ < 0 : stryMutAct_9fa48("40") ? false : stryMutAct_9fa48("39") ? true : (stryCov_9fa48("39", "40", "41"), (stryMutAct_9fa48("42") ? Number.isFinite(s.cumulativeEnergyJ) : (stryCov_9fa48("42"), !Number.isFinite(s.cumulativeEnergyJ))) || (stryMutAct_9fa48("45") ? s.cumulativeEnergyJ >= 0 : stryMutAct_9fa48("44") ? s.cumulativeEnergyJ <= 0 : stryMutAct_9fa48("43") ? false : (stryCov_9fa48("43", "44", "45"), s.cumulativeEnergyJ < 0)))) {
      if (stryMutAct_9fa48("46")) {
        {}
      } else {
        stryCov_9fa48("46");
        throw new CriterionError(stryMutAct_9fa48("47") ? `` : (stryCov_9fa48("47"), `cumulativeEnergyJ must be a finite number >= 0, found ${String(s.cumulativeEnergyJ)} after epoch ${s.epoch}`), s.cumulativeEnergyJ);
      }
    }
    checkAccuracy(stryMutAct_9fa48("48") ? "" : (stryCov_9fa48("48"), 'trainAccuracy'), s.trainAccuracy, s.epoch);
    checkAccuracy(stryMutAct_9fa48("49") ? "" : (stryCov_9fa48("49"), 'validationAccuracy'), s.validationAccuracy, s.epoch);
    checkAccuracy(stryMutAct_9fa48("50") ? "" : (stryCov_9fa48("50"), 'testAccuracy'), s.testAccuracy, s.epoch);
  }
}
const noBatch = stryMutAct_9fa48("51") ? () => undefined : (stryCov_9fa48("51"), (() => {
  const noBatch = (): null => null;
  return noBatch;
})());
function parse<T extends z.ZodType>(schema: T, name: string, params: unknown): z.output<T> {
  if (stryMutAct_9fa48("52")) {
    {}
  } else {
    stryCov_9fa48("52");
    const r = schema.safeParse(stryMutAct_9fa48("53") ? params && {} : (stryCov_9fa48("53"), params ?? {}));
    if (stryMutAct_9fa48("56") ? false : stryMutAct_9fa48("55") ? true : stryMutAct_9fa48("54") ? r.success : (stryCov_9fa48("54", "55", "56"), !r.success)) {
      if (stryMutAct_9fa48("57")) {
        {}
      } else {
        stryCov_9fa48("57");
        const problems = r.error.issues.map(stryMutAct_9fa48("58") ? () => undefined : (stryCov_9fa48("58"), i => stryMutAct_9fa48("59") ? `` : (stryCov_9fa48("59"), `params.${stryMutAct_9fa48("62") ? i.path.join('.') && '(root)' : stryMutAct_9fa48("61") ? false : stryMutAct_9fa48("60") ? true : (stryCov_9fa48("60", "61", "62"), i.path.join(stryMutAct_9fa48("63") ? "" : (stryCov_9fa48("63"), '.')) || (stryMutAct_9fa48("64") ? "" : (stryCov_9fa48("64"), '(root)')))}: ${i.message}`))).join(stryMutAct_9fa48("65") ? "" : (stryCov_9fa48("65"), '; '));
        throw new CriterionError(stryMutAct_9fa48("66") ? `` : (stryCov_9fa48("66"), `criterion ${name}: ${problems}`), params);
      }
    }
    return r.data;
  }
}
const positiveInt = z.number().int().positive();

// ---------------------------------------------------------------- fixedEpochs

const FixedEpochsParams = z.object(stryMutAct_9fa48("67") ? {} : (stryCov_9fa48("67"), {
  epochs: positiveInt.default(50)
})).strict();

/** Stops after `epochs` epochs. Default 50 (the paper's value). */
export function fixedEpochs(epochs = 50, label?: string): StoppingCriterion {
  if (stryMutAct_9fa48("68")) {
    {}
  } else {
    stryCov_9fa48("68");
    const p = parse(FixedEpochsParams, stryMutAct_9fa48("69") ? "" : (stryCov_9fa48("69"), 'fixedEpochs'), stryMutAct_9fa48("70") ? {} : (stryCov_9fa48("70"), {
      epochs
    }));
    const lbl = stryMutAct_9fa48("71") ? label && `${p.epochs} epochs` : (stryCov_9fa48("71"), label ?? (stryMutAct_9fa48("72") ? `` : (stryCov_9fa48("72"), `${p.epochs} epochs`)));
    return stryMutAct_9fa48("73") ? {} : (stryCov_9fa48("73"), {
      name: stryMutAct_9fa48("74") ? "" : (stryCov_9fa48("74"), 'fixedEpochs'),
      label: lbl,
      checksBatches: stryMutAct_9fa48("75") ? true : (stryCov_9fa48("75"), false),
      start: stryMutAct_9fa48("76") ? () => undefined : (stryCov_9fa48("76"), () => stryMutAct_9fa48("77") ? {} : (stryCov_9fa48("77"), {
        afterEpoch(s) {
          if (stryMutAct_9fa48("78")) {
            {}
          } else {
            stryCov_9fa48("78");
            checkEpochState(s);
            return (stryMutAct_9fa48("82") ? s.epoch < p.epochs : stryMutAct_9fa48("81") ? s.epoch > p.epochs : stryMutAct_9fa48("80") ? false : stryMutAct_9fa48("79") ? true : (stryCov_9fa48("79", "80", "81", "82"), s.epoch >= p.epochs)) ? stryMutAct_9fa48("83") ? {} : (stryCov_9fa48("83"), {
              criterion: stryMutAct_9fa48("84") ? "" : (stryCov_9fa48("84"), 'fixedEpochs'),
              reason: stryMutAct_9fa48("85") ? `` : (stryCov_9fa48("85"), `reached ${p.epochs} epochs`),
              epoch: s.epoch
            }) : null;
          }
        },
        afterBatch: noBatch
      })),
      toConfig: stryMutAct_9fa48("86") ? () => undefined : (stryCov_9fa48("86"), () => stryMutAct_9fa48("87") ? {} : (stryCov_9fa48("87"), {
        name: stryMutAct_9fa48("88") ? "" : (stryCov_9fa48("88"), 'fixedEpochs'),
        params: stryMutAct_9fa48("89") ? {} : (stryCov_9fa48("89"), {
          epochs: p.epochs
        }),
        label: lbl
      }))
    });
  }
}

// ------------------------------------------------------------- accuracyTarget

const AccuracyTargetParams = z.object(stryMutAct_9fa48("90") ? {} : (stryCov_9fa48("90"), {
  target: stryMutAct_9fa48("92") ? z.number().max(0).max(1).default(0.99) : stryMutAct_9fa48("91") ? z.number().min(0).min(1).default(0.99) : (stryCov_9fa48("91", "92"), z.number().min(0).max(1).default(0.99)),
  on: z.enum(stryMutAct_9fa48("93") ? [] : (stryCov_9fa48("93"), [stryMutAct_9fa48("94") ? "" : (stryCov_9fa48("94"), 'train'), stryMutAct_9fa48("95") ? "" : (stryCov_9fa48("95"), 'validation')])).default(stryMutAct_9fa48("96") ? "" : (stryCov_9fa48("96"), 'validation'))
})).strict();
export interface AccuracyTargetOptions {
  /** Accuracy in [0, 1] to reach. Default 0.99 (the paper's value). */
  target?: number;
  /** Which accuracy to compare; default `validation` (the paper chose per dataset). */
  on?: 'train' | 'validation';
  label?: string;
}

/** Stops once the chosen accuracy is >= target. */
export function accuracyTarget(options: AccuracyTargetOptions = {}): StoppingCriterion {
  if (stryMutAct_9fa48("97")) {
    {}
  } else {
    stryCov_9fa48("97");
    const {
      label,
      ...rest
    } = options;
    const p = parse(AccuracyTargetParams, stryMutAct_9fa48("98") ? "" : (stryCov_9fa48("98"), 'accuracyTarget'), rest);
    const lbl = stryMutAct_9fa48("99") ? label && `accuracy ≥ ${p.target} (${p.on})` : (stryCov_9fa48("99"), label ?? (stryMutAct_9fa48("100") ? `` : (stryCov_9fa48("100"), `accuracy ≥ ${p.target} (${p.on})`)));
    return stryMutAct_9fa48("101") ? {} : (stryCov_9fa48("101"), {
      name: stryMutAct_9fa48("102") ? "" : (stryCov_9fa48("102"), 'accuracyTarget'),
      label: lbl,
      checksBatches: stryMutAct_9fa48("103") ? true : (stryCov_9fa48("103"), false),
      start: stryMutAct_9fa48("104") ? () => undefined : (stryCov_9fa48("104"), () => stryMutAct_9fa48("105") ? {} : (stryCov_9fa48("105"), {
        afterEpoch(s) {
          if (stryMutAct_9fa48("106")) {
            {}
          } else {
            stryCov_9fa48("106");
            checkEpochState(s);
            const acc = (stryMutAct_9fa48("109") ? p.on !== 'train' : stryMutAct_9fa48("108") ? false : stryMutAct_9fa48("107") ? true : (stryCov_9fa48("107", "108", "109"), p.on === (stryMutAct_9fa48("110") ? "" : (stryCov_9fa48("110"), 'train')))) ? s.trainAccuracy : s.validationAccuracy;
            if (stryMutAct_9fa48("113") ? acc === null && acc === undefined : stryMutAct_9fa48("112") ? false : stryMutAct_9fa48("111") ? true : (stryCov_9fa48("111", "112", "113"), (stryMutAct_9fa48("115") ? acc !== null : stryMutAct_9fa48("114") ? false : (stryCov_9fa48("114", "115"), acc === null)) || (stryMutAct_9fa48("117") ? acc !== undefined : stryMutAct_9fa48("116") ? false : (stryCov_9fa48("116", "117"), acc === undefined)))) {
              if (stryMutAct_9fa48("118")) {
                {}
              } else {
                stryCov_9fa48("118");
                throw new CriterionError(stryMutAct_9fa48("119") ? `` : (stryCov_9fa48("119"), `accuracyTarget on ${p.on} needs ${p.on}Accuracy after epoch ${s.epoch}, found ${String(acc)}; measure it or use on: '${(stryMutAct_9fa48("122") ? p.on !== 'train' : stryMutAct_9fa48("121") ? false : stryMutAct_9fa48("120") ? true : (stryCov_9fa48("120", "121", "122"), p.on === (stryMutAct_9fa48("123") ? "" : (stryCov_9fa48("123"), 'train')))) ? stryMutAct_9fa48("124") ? "" : (stryCov_9fa48("124"), 'validation') : stryMutAct_9fa48("125") ? "" : (stryCov_9fa48("125"), 'train')}'`), acc);
              }
            }
            return (stryMutAct_9fa48("129") ? acc < p.target : stryMutAct_9fa48("128") ? acc > p.target : stryMutAct_9fa48("127") ? false : stryMutAct_9fa48("126") ? true : (stryCov_9fa48("126", "127", "128", "129"), acc >= p.target)) ? stryMutAct_9fa48("130") ? {} : (stryCov_9fa48("130"), {
              criterion: stryMutAct_9fa48("131") ? "" : (stryCov_9fa48("131"), 'accuracyTarget'),
              reason: stryMutAct_9fa48("132") ? `` : (stryCov_9fa48("132"), `${p.on} accuracy ${acc.toFixed(4)} ≥ target ${p.target}`),
              epoch: s.epoch
            }) : null;
          }
        },
        afterBatch: noBatch
      })),
      toConfig: stryMutAct_9fa48("133") ? () => undefined : (stryCov_9fa48("133"), () => stryMutAct_9fa48("134") ? {} : (stryCov_9fa48("134"), {
        name: stryMutAct_9fa48("135") ? "" : (stryCov_9fa48("135"), 'accuracyTarget'),
        params: stryMutAct_9fa48("136") ? {} : (stryCov_9fa48("136"), {
          target: p.target,
          on: p.on
        }),
        label: lbl
      }))
    });
  }
}

// -------------------------------------------------------------- earlyStopping

const EarlyStoppingParams = z.object(stryMutAct_9fa48("137") ? {} : (stryCov_9fa48("137"), {
  patience: positiveInt.default(3),
  minDelta: z.number().nonnegative().default(0)
})).strict();
export interface EarlyStoppingOptions {
  /** Epochs without improvement of validation accuracy before stopping. Default 3 (the paper's value). */
  patience?: number;
  /** An improvement must exceed the best so far by more than this. Default 0. */
  minDelta?: number;
  label?: string;
}

/** Stops when validation accuracy has not improved by more than minDelta for `patience` epochs (Keras semantics). */
export function earlyStopping(options: EarlyStoppingOptions = {}): StoppingCriterion {
  if (stryMutAct_9fa48("138")) {
    {}
  } else {
    stryCov_9fa48("138");
    const {
      label,
      ...rest
    } = options;
    const p = parse(EarlyStoppingParams, stryMutAct_9fa48("139") ? "" : (stryCov_9fa48("139"), 'earlyStopping'), rest);
    const lbl = stryMutAct_9fa48("140") ? label && `early stopping (patience ${p.patience})` : (stryCov_9fa48("140"), label ?? (stryMutAct_9fa48("141") ? `` : (stryCov_9fa48("141"), `early stopping (patience ${p.patience})`)));
    return stryMutAct_9fa48("142") ? {} : (stryCov_9fa48("142"), {
      name: stryMutAct_9fa48("143") ? "" : (stryCov_9fa48("143"), 'earlyStopping'),
      label: lbl,
      checksBatches: stryMutAct_9fa48("144") ? true : (stryCov_9fa48("144"), false),
      start: () => {
        if (stryMutAct_9fa48("145")) {
          {}
        } else {
          stryCov_9fa48("145");
          let best = Number.NEGATIVE_INFINITY;
          let bestEpoch = 0;
          let wait = 0;
          return stryMutAct_9fa48("146") ? {} : (stryCov_9fa48("146"), {
            afterEpoch(s) {
              if (stryMutAct_9fa48("147")) {
                {}
              } else {
                stryCov_9fa48("147");
                checkEpochState(s);
                const acc = s.validationAccuracy;
                if (stryMutAct_9fa48("150") ? acc !== null : stryMutAct_9fa48("149") ? false : stryMutAct_9fa48("148") ? true : (stryCov_9fa48("148", "149", "150"), acc === null)) {
                  if (stryMutAct_9fa48("151")) {
                    {}
                  } else {
                    stryCov_9fa48("151");
                    throw new CriterionError(stryMutAct_9fa48("152") ? `` : (stryCov_9fa48("152"), `earlyStopping needs validationAccuracy after epoch ${s.epoch}, found null; train with a validation split`), acc);
                  }
                }
                if (stryMutAct_9fa48("156") ? acc <= best + p.minDelta : stryMutAct_9fa48("155") ? acc >= best + p.minDelta : stryMutAct_9fa48("154") ? false : stryMutAct_9fa48("153") ? true : (stryCov_9fa48("153", "154", "155", "156"), acc > (stryMutAct_9fa48("157") ? best - p.minDelta : (stryCov_9fa48("157"), best + p.minDelta)))) {
                  if (stryMutAct_9fa48("158")) {
                    {}
                  } else {
                    stryCov_9fa48("158");
                    best = acc;
                    bestEpoch = s.epoch;
                    wait = 0;
                    return null;
                  }
                }
                stryMutAct_9fa48("159") ? wait-- : (stryCov_9fa48("159"), wait++);
                return (stryMutAct_9fa48("163") ? wait < p.patience : stryMutAct_9fa48("162") ? wait > p.patience : stryMutAct_9fa48("161") ? false : stryMutAct_9fa48("160") ? true : (stryCov_9fa48("160", "161", "162", "163"), wait >= p.patience)) ? stryMutAct_9fa48("164") ? {} : (stryCov_9fa48("164"), {
                  criterion: stryMutAct_9fa48("165") ? "" : (stryCov_9fa48("165"), 'earlyStopping'),
                  reason: stryMutAct_9fa48("166") ? `` : (stryCov_9fa48("166"), `validation accuracy did not improve on ${best.toFixed(4)} (epoch ${bestEpoch}) by more than ${p.minDelta} for ${p.patience} epochs`),
                  epoch: s.epoch
                }) : null;
              }
            },
            afterBatch: noBatch
          });
        }
      },
      toConfig: stryMutAct_9fa48("167") ? () => undefined : (stryCov_9fa48("167"), () => stryMutAct_9fa48("168") ? {} : (stryCov_9fa48("168"), {
        name: stryMutAct_9fa48("169") ? "" : (stryCov_9fa48("169"), 'earlyStopping'),
        params: stryMutAct_9fa48("170") ? {} : (stryCov_9fa48("170"), {
          patience: p.patience,
          minDelta: p.minDelta
        }),
        label: lbl
      }))
    });
  }
}

// --------------------------------------------------------------- energyBudget

const EnergyBudgetParams = z.object(stryMutAct_9fa48("171") ? {} : (stryCov_9fa48("171"), {
  joules: z.number().positive(),
  checkEvery: z.enum(stryMutAct_9fa48("172") ? [] : (stryCov_9fa48("172"), [stryMutAct_9fa48("173") ? "" : (stryCov_9fa48("173"), 'epoch'), stryMutAct_9fa48("174") ? "" : (stryCov_9fa48("174"), 'batch')])).default(stryMutAct_9fa48("175") ? "" : (stryCov_9fa48("175"), 'epoch'))
})).strict();
export interface EnergyBudgetOptions {
  /** Budget in J (total energy since training started). Required; the paper's budget was hardware-specific. */
  joules: number;
  /** `epoch` (the paper: checked at epoch end, so it overshoots) or `batch` (stops within the epoch). Default `epoch`. */
  checkEvery?: 'epoch' | 'batch';
  label?: string;
}

/** Stops once cumulative energy >= the budget. */
export function energyBudget(options: EnergyBudgetOptions): StoppingCriterion {
  if (stryMutAct_9fa48("176")) {
    {}
  } else {
    stryCov_9fa48("176");
    const {
      label,
      ...rest
    } = stryMutAct_9fa48("177") ? options && {} as EnergyBudgetOptions : (stryCov_9fa48("177"), options ?? {} as EnergyBudgetOptions);
    const p = parse(EnergyBudgetParams, stryMutAct_9fa48("178") ? "" : (stryCov_9fa48("178"), 'energyBudget'), rest);
    const lbl = stryMutAct_9fa48("179") ? label && `energy budget ${p.joules} J (per ${p.checkEvery})` : (stryCov_9fa48("179"), label ?? (stryMutAct_9fa48("180") ? `` : (stryCov_9fa48("180"), `energy budget ${p.joules} J (per ${p.checkEvery})`)));
    const reason = stryMutAct_9fa48("181") ? () => undefined : (stryCov_9fa48("181"), (() => {
      const reason = (e: number) => stryMutAct_9fa48("182") ? `` : (stryCov_9fa48("182"), `cumulative energy ${e.toFixed(1)} J ≥ budget ${p.joules} J`);
      return reason;
    })());
    return stryMutAct_9fa48("183") ? {} : (stryCov_9fa48("183"), {
      name: stryMutAct_9fa48("184") ? "" : (stryCov_9fa48("184"), 'energyBudget'),
      label: lbl,
      checksBatches: stryMutAct_9fa48("187") ? p.checkEvery !== 'batch' : stryMutAct_9fa48("186") ? false : stryMutAct_9fa48("185") ? true : (stryCov_9fa48("185", "186", "187"), p.checkEvery === (stryMutAct_9fa48("188") ? "" : (stryCov_9fa48("188"), 'batch'))),
      start: stryMutAct_9fa48("189") ? () => undefined : (stryCov_9fa48("189"), () => stryMutAct_9fa48("190") ? {} : (stryCov_9fa48("190"), {
        afterEpoch(s) {
          if (stryMutAct_9fa48("191")) {
            {}
          } else {
            stryCov_9fa48("191");
            checkEpochState(s);
            return (stryMutAct_9fa48("195") ? s.cumulativeEnergyJ < p.joules : stryMutAct_9fa48("194") ? s.cumulativeEnergyJ > p.joules : stryMutAct_9fa48("193") ? false : stryMutAct_9fa48("192") ? true : (stryCov_9fa48("192", "193", "194", "195"), s.cumulativeEnergyJ >= p.joules)) ? stryMutAct_9fa48("196") ? {} : (stryCov_9fa48("196"), {
              criterion: stryMutAct_9fa48("197") ? "" : (stryCov_9fa48("197"), 'energyBudget'),
              reason: reason(s.cumulativeEnergyJ),
              epoch: s.epoch
            }) : null;
          }
        },
        afterBatch(s) {
          if (stryMutAct_9fa48("198")) {
            {}
          } else {
            stryCov_9fa48("198");
            if (stryMutAct_9fa48("201") ? p.checkEvery === 'batch' : stryMutAct_9fa48("200") ? false : stryMutAct_9fa48("199") ? true : (stryCov_9fa48("199", "200", "201"), p.checkEvery !== (stryMutAct_9fa48("202") ? "" : (stryCov_9fa48("202"), 'batch')))) return null;
            if (stryMutAct_9fa48("205") ? !Number.isFinite(s.cumulativeEnergyJ) && s.cumulativeEnergyJ < 0 : stryMutAct_9fa48("204") ? false : stryMutAct_9fa48("203") ? true : (stryCov_9fa48("203", "204", "205"), (stryMutAct_9fa48("206") ? Number.isFinite(s.cumulativeEnergyJ) : (stryCov_9fa48("206"), !Number.isFinite(s.cumulativeEnergyJ))) || (stryMutAct_9fa48("209") ? s.cumulativeEnergyJ >= 0 : stryMutAct_9fa48("208") ? s.cumulativeEnergyJ <= 0 : stryMutAct_9fa48("207") ? false : (stryCov_9fa48("207", "208", "209"), s.cumulativeEnergyJ < 0)))) {
              if (stryMutAct_9fa48("210")) {
                {}
              } else {
                stryCov_9fa48("210");
                throw new CriterionError(stryMutAct_9fa48("211") ? `` : (stryCov_9fa48("211"), `cumulativeEnergyJ must be a finite number >= 0, found ${String(s.cumulativeEnergyJ)} (epoch ${s.epoch}, batch ${s.batch})`), s.cumulativeEnergyJ);
              }
            }
            return (stryMutAct_9fa48("215") ? s.cumulativeEnergyJ < p.joules : stryMutAct_9fa48("214") ? s.cumulativeEnergyJ > p.joules : stryMutAct_9fa48("213") ? false : stryMutAct_9fa48("212") ? true : (stryCov_9fa48("212", "213", "214", "215"), s.cumulativeEnergyJ >= p.joules)) ? stryMutAct_9fa48("216") ? {} : (stryCov_9fa48("216"), {
              criterion: stryMutAct_9fa48("217") ? "" : (stryCov_9fa48("217"), 'energyBudget'),
              reason: reason(s.cumulativeEnergyJ),
              epoch: s.epoch,
              batch: s.batch
            }) : null;
          }
        }
      })),
      toConfig: stryMutAct_9fa48("218") ? () => undefined : (stryCov_9fa48("218"), () => stryMutAct_9fa48("219") ? {} : (stryCov_9fa48("219"), {
        name: stryMutAct_9fa48("220") ? "" : (stryCov_9fa48("220"), 'energyBudget'),
        params: stryMutAct_9fa48("221") ? {} : (stryCov_9fa48("221"), {
          joules: p.joules,
          checkEvery: p.checkEvery
        }),
        label: lbl
      }))
    });
  }
}

// ---------------------------------------------------------------- combinators

function combinator(kind: 'anyOf' | 'allOf', children: StoppingCriterion[], label?: string): StoppingCriterion {
  if (stryMutAct_9fa48("222")) {
    {}
  } else {
    stryCov_9fa48("222");
    if (stryMutAct_9fa48("225") ? children.length !== 0 : stryMutAct_9fa48("224") ? false : stryMutAct_9fa48("223") ? true : (stryCov_9fa48("223", "224", "225"), children.length === 0)) throw new CriterionError(stryMutAct_9fa48("226") ? `` : (stryCov_9fa48("226"), `${kind} needs at least one criterion, found none`), children);
    const lbl = stryMutAct_9fa48("227") ? label && `${kind === 'anyOf' ? 'any of' : 'all of'}: ${children.map(c => c.label).join(', ')}` : (stryCov_9fa48("227"), label ?? (stryMutAct_9fa48("228") ? `` : (stryCov_9fa48("228"), `${(stryMutAct_9fa48("231") ? kind !== 'anyOf' : stryMutAct_9fa48("230") ? false : stryMutAct_9fa48("229") ? true : (stryCov_9fa48("229", "230", "231"), kind === (stryMutAct_9fa48("232") ? "" : (stryCov_9fa48("232"), 'anyOf')))) ? stryMutAct_9fa48("233") ? "" : (stryCov_9fa48("233"), 'any of') : stryMutAct_9fa48("234") ? "" : (stryCov_9fa48("234"), 'all of')}: ${children.map(stryMutAct_9fa48("235") ? () => undefined : (stryCov_9fa48("235"), c => c.label)).join(stryMutAct_9fa48("236") ? "" : (stryCov_9fa48("236"), ', '))}`)));
    return stryMutAct_9fa48("237") ? {} : (stryCov_9fa48("237"), {
      name: kind,
      label: lbl,
      checksBatches: stryMutAct_9fa48("238") ? children.every(c => c.checksBatches) : (stryCov_9fa48("238"), children.some(stryMutAct_9fa48("239") ? () => undefined : (stryCov_9fa48("239"), c => c.checksBatches))),
      start() {
        if (stryMutAct_9fa48("240")) {
          {}
        } else {
          stryCov_9fa48("240");
          const runs = children.map(stryMutAct_9fa48("241") ? () => undefined : (stryCov_9fa48("241"), c => c.start()));
          // allOf: a child that has said "stop" once stays satisfied (early stopping would otherwise reset).
          const met: (StopDecision | null)[] = children.map(stryMutAct_9fa48("242") ? () => undefined : (stryCov_9fa48("242"), () => null));
          const combine = (ds: (StopDecision | null)[], epoch: number, batch?: number): StopDecision | null => {
            if (stryMutAct_9fa48("243")) {
              {}
            } else {
              stryCov_9fa48("243");
              if (stryMutAct_9fa48("246") ? kind !== 'anyOf' : stryMutAct_9fa48("245") ? false : stryMutAct_9fa48("244") ? true : (stryCov_9fa48("244", "245", "246"), kind === (stryMutAct_9fa48("247") ? "" : (stryCov_9fa48("247"), 'anyOf')))) return stryMutAct_9fa48("248") ? ds.find(d => d !== null) && null : (stryCov_9fa48("248"), ds.find(stryMutAct_9fa48("249") ? () => undefined : (stryCov_9fa48("249"), d => stryMutAct_9fa48("252") ? d === null : stryMutAct_9fa48("251") ? false : stryMutAct_9fa48("250") ? true : (stryCov_9fa48("250", "251", "252"), d !== null))) ?? null);
              ds.forEach((d, i) => {
                if (stryMutAct_9fa48("253")) {
                  {}
                } else {
                  stryCov_9fa48("253");
                  if (stryMutAct_9fa48("256") ? d || !met[i] : stryMutAct_9fa48("255") ? false : stryMutAct_9fa48("254") ? true : (stryCov_9fa48("254", "255", "256"), d && (stryMutAct_9fa48("257") ? met[i] : (stryCov_9fa48("257"), !met[i])))) met[i] = d;
                }
              });
              if (stryMutAct_9fa48("260") ? false : stryMutAct_9fa48("259") ? true : stryMutAct_9fa48("258") ? met.every(d => d !== null) : (stryCov_9fa48("258", "259", "260"), !(stryMutAct_9fa48("261") ? met.some(d => d !== null) : (stryCov_9fa48("261"), met.every(stryMutAct_9fa48("262") ? () => undefined : (stryCov_9fa48("262"), d => stryMutAct_9fa48("265") ? d === null : stryMutAct_9fa48("264") ? false : stryMutAct_9fa48("263") ? true : (stryCov_9fa48("263", "264", "265"), d !== null))))))) return null;
              return stryMutAct_9fa48("266") ? {} : (stryCov_9fa48("266"), {
                criterion: stryMutAct_9fa48("267") ? "" : (stryCov_9fa48("267"), 'allOf'),
                reason: met.map(stryMutAct_9fa48("268") ? () => undefined : (stryCov_9fa48("268"), d => stryMutAct_9fa48("269") ? `` : (stryCov_9fa48("269"), `${stryMutAct_9fa48("270") ? d.criterion : (stryCov_9fa48("270"), d?.criterion)}: ${stryMutAct_9fa48("271") ? d.reason : (stryCov_9fa48("271"), d?.reason)}`))).join(stryMutAct_9fa48("272") ? "" : (stryCov_9fa48("272"), '; ')),
                epoch,
                ...((stryMutAct_9fa48("275") ? batch === undefined : stryMutAct_9fa48("274") ? false : stryMutAct_9fa48("273") ? true : (stryCov_9fa48("273", "274", "275"), batch !== undefined)) ? stryMutAct_9fa48("276") ? {} : (stryCov_9fa48("276"), {
                  batch
                }) : {})
              });
            }
          };
          return stryMutAct_9fa48("277") ? {} : (stryCov_9fa48("277"), {
            afterEpoch: stryMutAct_9fa48("278") ? () => undefined : (stryCov_9fa48("278"), s => combine(runs.map(stryMutAct_9fa48("279") ? () => undefined : (stryCov_9fa48("279"), r => r.afterEpoch(s))), s.epoch)),
            afterBatch: stryMutAct_9fa48("280") ? () => undefined : (stryCov_9fa48("280"), s => combine(runs.map(stryMutAct_9fa48("281") ? () => undefined : (stryCov_9fa48("281"), r => r.afterBatch(s))), s.epoch, s.batch))
          });
        }
      },
      toConfig: stryMutAct_9fa48("282") ? () => undefined : (stryCov_9fa48("282"), () => stryMutAct_9fa48("283") ? {} : (stryCov_9fa48("283"), {
        name: kind,
        params: stryMutAct_9fa48("284") ? {} : (stryCov_9fa48("284"), {
          criteria: children.map(stryMutAct_9fa48("285") ? () => undefined : (stryCov_9fa48("285"), c => c.toConfig()))
        }),
        label: lbl
      }))
    });
  }
}

/** Stops when any child says stop; the decision names that child. */
export function anyOf(...children: StoppingCriterion[]): StoppingCriterion {
  if (stryMutAct_9fa48("286")) {
    {}
  } else {
    stryCov_9fa48("286");
    return combinator(stryMutAct_9fa48("287") ? "" : (stryCov_9fa48("287"), 'anyOf'), children);
  }
}

/** Stops when every child has said stop at least once during the run. */
export function allOf(...children: StoppingCriterion[]): StoppingCriterion {
  if (stryMutAct_9fa48("288")) {
    {}
  } else {
    stryCov_9fa48("288");
    return combinator(stryMutAct_9fa48("289") ? "" : (stryCov_9fa48("289"), 'allOf'), children);
  }
}

// ------------------------------------------------------------------ maxEpochs

/**
 * The run-level evaluator every run uses: the criterion, then the hard cap. When both fire at the same epoch
 * the criterion's decision wins (fixedEpochs(50) with maxEpochs 50 reports fixedEpochs).
 */
export function withMaxEpochs(criterion: StoppingCriterion, maxEpochs: number): CriterionRun {
  if (stryMutAct_9fa48("290")) {
    {}
  } else {
    stryCov_9fa48("290");
    if (stryMutAct_9fa48("293") ? !Number.isInteger(maxEpochs) && maxEpochs < 1 : stryMutAct_9fa48("292") ? false : stryMutAct_9fa48("291") ? true : (stryCov_9fa48("291", "292", "293"), (stryMutAct_9fa48("294") ? Number.isInteger(maxEpochs) : (stryCov_9fa48("294"), !Number.isInteger(maxEpochs))) || (stryMutAct_9fa48("297") ? maxEpochs >= 1 : stryMutAct_9fa48("296") ? maxEpochs <= 1 : stryMutAct_9fa48("295") ? false : (stryCov_9fa48("295", "296", "297"), maxEpochs < 1)))) {
      if (stryMutAct_9fa48("298")) {
        {}
      } else {
        stryCov_9fa48("298");
        throw new CriterionError(stryMutAct_9fa48("299") ? `` : (stryCov_9fa48("299"), `maxEpochs must be an integer >= 1, found ${String(maxEpochs)}`), maxEpochs);
      }
    }
    const run = criterion.start();
    return stryMutAct_9fa48("300") ? {} : (stryCov_9fa48("300"), {
      afterEpoch(s) {
        if (stryMutAct_9fa48("301")) {
          {}
        } else {
          stryCov_9fa48("301");
          const d = run.afterEpoch(s);
          if (stryMutAct_9fa48("303") ? false : stryMutAct_9fa48("302") ? true : (stryCov_9fa48("302", "303"), d)) return d;
          return (stryMutAct_9fa48("307") ? s.epoch < maxEpochs : stryMutAct_9fa48("306") ? s.epoch > maxEpochs : stryMutAct_9fa48("305") ? false : stryMutAct_9fa48("304") ? true : (stryCov_9fa48("304", "305", "306", "307"), s.epoch >= maxEpochs)) ? stryMutAct_9fa48("308") ? {} : (stryCov_9fa48("308"), {
            criterion: stryMutAct_9fa48("309") ? "" : (stryCov_9fa48("309"), 'maxEpochs'),
            reason: stryMutAct_9fa48("310") ? `` : (stryCov_9fa48("310"), `hit the hard cap of ${maxEpochs} epochs`),
            epoch: s.epoch
          }) : null;
        }
      },
      afterBatch: stryMutAct_9fa48("311") ? () => undefined : (stryCov_9fa48("311"), s => criterion.checksBatches ? run.afterBatch(s) : null)
    });
  }
}

// ----------------------------------------------------------------- fromConfig

export type CriterionFactory = (params: Record<string, unknown>, label?: string) => StoppingCriterion;
const factories = new Map<string, CriterionFactory>(stryMutAct_9fa48("312") ? [] : (stryCov_9fa48("312"), [stryMutAct_9fa48("313") ? [] : (stryCov_9fa48("313"), [stryMutAct_9fa48("314") ? "" : (stryCov_9fa48("314"), 'fixedEpochs'), stryMutAct_9fa48("315") ? () => undefined : (stryCov_9fa48("315"), (p, label) => fixedEpochs(parse(FixedEpochsParams, stryMutAct_9fa48("316") ? "" : (stryCov_9fa48("316"), 'fixedEpochs'), p).epochs, label))]), stryMutAct_9fa48("317") ? [] : (stryCov_9fa48("317"), [stryMutAct_9fa48("318") ? "" : (stryCov_9fa48("318"), 'accuracyTarget'), stryMutAct_9fa48("319") ? () => undefined : (stryCov_9fa48("319"), (p, label) => accuracyTarget(stryMutAct_9fa48("320") ? {} : (stryCov_9fa48("320"), {
  ...parse(AccuracyTargetParams, stryMutAct_9fa48("321") ? "" : (stryCov_9fa48("321"), 'accuracyTarget'), p),
  label
})))]), stryMutAct_9fa48("322") ? [] : (stryCov_9fa48("322"), [stryMutAct_9fa48("323") ? "" : (stryCov_9fa48("323"), 'earlyStopping'), stryMutAct_9fa48("324") ? () => undefined : (stryCov_9fa48("324"), (p, label) => earlyStopping(stryMutAct_9fa48("325") ? {} : (stryCov_9fa48("325"), {
  ...parse(EarlyStoppingParams, stryMutAct_9fa48("326") ? "" : (stryCov_9fa48("326"), 'earlyStopping'), p),
  label
})))]), stryMutAct_9fa48("327") ? [] : (stryCov_9fa48("327"), [stryMutAct_9fa48("328") ? "" : (stryCov_9fa48("328"), 'energyBudget'), stryMutAct_9fa48("329") ? () => undefined : (stryCov_9fa48("329"), (p, label) => energyBudget(stryMutAct_9fa48("330") ? {} : (stryCov_9fa48("330"), {
  ...parse(EnergyBudgetParams, stryMutAct_9fa48("331") ? "" : (stryCov_9fa48("331"), 'energyBudget'), p),
  label
})))]), stryMutAct_9fa48("332") ? [] : (stryCov_9fa48("332"), [stryMutAct_9fa48("333") ? "" : (stryCov_9fa48("333"), 'anyOf'), stryMutAct_9fa48("334") ? () => undefined : (stryCov_9fa48("334"), (p, label) => combinator(stryMutAct_9fa48("335") ? "" : (stryCov_9fa48("335"), 'anyOf'), childConfigs(stryMutAct_9fa48("336") ? "" : (stryCov_9fa48("336"), 'anyOf'), p).map(fromConfig), label))]), stryMutAct_9fa48("337") ? [] : (stryCov_9fa48("337"), [stryMutAct_9fa48("338") ? "" : (stryCov_9fa48("338"), 'allOf'), stryMutAct_9fa48("339") ? () => undefined : (stryCov_9fa48("339"), (p, label) => combinator(stryMutAct_9fa48("340") ? "" : (stryCov_9fa48("340"), 'allOf'), childConfigs(stryMutAct_9fa48("341") ? "" : (stryCov_9fa48("341"), 'allOf'), p).map(fromConfig), label))])]));
function childConfigs(kind: string, p: Record<string, unknown>): StoppingCriterionConfig[] {
  if (stryMutAct_9fa48("342")) {
    {}
  } else {
    stryCov_9fa48("342");
    return parse(z.object(stryMutAct_9fa48("343") ? {} : (stryCov_9fa48("343"), {
      criteria: stryMutAct_9fa48("344") ? z.array(StoppingCriterionConfigSchema).max(1) : (stryCov_9fa48("344"), z.array(StoppingCriterionConfigSchema).min(1))
    })).strict(), kind, p).criteria;
  }
}

/** Makes a user-defined criterion available to fromConfig (and so to grid YAML). */
export function register(name: string, factory: CriterionFactory): void {
  if (stryMutAct_9fa48("345")) {
    {}
  } else {
    stryCov_9fa48("345");
    if (stryMutAct_9fa48("347") ? false : stryMutAct_9fa48("346") ? true : (stryCov_9fa48("346", "347"), factories.has(name))) throw new CriterionError(stryMutAct_9fa48("348") ? `` : (stryCov_9fa48("348"), `a criterion named ${name} is already registered`), name);
    factories.set(name, factory);
  }
}

/** Rebuilds a criterion from its config (as read from YAML/JSON); the config's label is kept. */
export function fromConfig(config: StoppingCriterionConfig): StoppingCriterion {
  if (stryMutAct_9fa48("349")) {
    {}
  } else {
    stryCov_9fa48("349");
    const cfg = StoppingCriterionConfigSchema.safeParse(config);
    if (stryMutAct_9fa48("352") ? false : stryMutAct_9fa48("351") ? true : stryMutAct_9fa48("350") ? cfg.success : (stryCov_9fa48("350", "351", "352"), !cfg.success)) {
      if (stryMutAct_9fa48("353")) {
        {}
      } else {
        stryCov_9fa48("353");
        throw new CriterionError(stryMutAct_9fa48("354") ? `` : (stryCov_9fa48("354"), `criterion config: ${cfg.error.issues.map(stryMutAct_9fa48("355") ? () => undefined : (stryCov_9fa48("355"), i => stryMutAct_9fa48("356") ? `` : (stryCov_9fa48("356"), `${i.path.join(stryMutAct_9fa48("357") ? "" : (stryCov_9fa48("357"), '.'))}: ${i.message}`))).join(stryMutAct_9fa48("358") ? "" : (stryCov_9fa48("358"), '; '))}`), config);
      }
    }
    const f = factories.get(cfg.data.name);
    if (stryMutAct_9fa48("361") ? false : stryMutAct_9fa48("360") ? true : stryMutAct_9fa48("359") ? f : (stryCov_9fa48("359", "360", "361"), !f)) {
      if (stryMutAct_9fa48("362")) {
        {}
      } else {
        stryCov_9fa48("362");
        throw new CriterionError(stryMutAct_9fa48("363") ? `` : (stryCov_9fa48("363"), `unknown criterion ${cfg.data.name}; expected one of ${(stryMutAct_9fa48("364") ? [] : (stryCov_9fa48("364"), [...factories.keys()])).join(stryMutAct_9fa48("365") ? "" : (stryCov_9fa48("365"), ', '))} (or register() it)`), cfg.data.name);
      }
    }
    return f(cfg.data.params, cfg.data.label);
  }
}