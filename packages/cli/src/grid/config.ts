// The grid config schema (zod): what `eff run --config FILE` accepts, with every default in one place.
import { CarbonConfigSchema, countryIntensity } from '@eff/core';
import { DEFAULT_INTERVAL_MS, MAX_INTERVAL_MS } from '@eff/probes';
import { z } from 'zod';

export const DATASETS = ['mnist', 'cifar10'] as const;
export const ARCHITECTURES = ['lenet', 'bcnn'] as const;
export const BCNN_KINDS = ['mc-dropout', 'bayes-by-backprop'] as const;

/** One stopping criterion as stored in a RunConfig: core's `criteria.fromConfig` rebuilds it. */
export const CriterionSchema = z
  .object({
    name: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    label: z.string().optional(),
  })
  .strict();

/** Subsets and splits per dataset; `null`/absent means the whole dataset, as in the paper. */
export const MnistDataSchema = z
  .object({
    /** Training images used (taken from the 60k train split before the validation carve-out). */
    trainSize: z.number().int().positive().max(60_000).optional(),
    /** Test images used (from the 10k test split). */
    testSize: z.number().int().positive().max(10_000).optional(),
    /** Fraction of the training images held out for validation (paper: 0.2). */
    validationSplit: z.number().gt(0).lt(1).default(0.2),
  })
  .strict();

export const CifarDataSchema = z
  .object({
    /** Directory holding cifar-10-batches-bin's files; default: the download cache (downloaded when missing). */
    dir: z.string().min(1).optional(),
    /** Folds of the cross-validation (paper: 6, each exactly 1000 images per class). */
    folds: z.number().int().min(2).default(6),
    /** Run only these 0-based folds (default: all). */
    onlyFolds: z.array(z.number().int().nonnegative()).optional(),
    /** Images per class in each fold (paper: 1000). Smaller for quick runs. */
    perClassPerFold: z.number().int().positive().max(1000).default(1000),
    /** Fraction of each training part held out for validation (early stopping). */
    validationSplit: z.number().gt(0).lt(1).default(0.2),
  })
  .strict();

export const GridConfigSchema = z
  .object({
    /** Free label stored with every run, e.g. `paper-mnist`. */
    name: z.string().min(1).default('grid'),
    datasets: z.array(z.enum(DATASETS)).min(1),
    architectures: z.array(z.enum(ARCHITECTURES)).min(1),
    /** Width multipliers k (LeNet-k, BCNN-k). */
    sizes: z.array(z.number().int().positive()).min(1),
    criteria: z.array(CriterionSchema).min(1),
    /** Hard epoch cap under every criterion (paper: 100). */
    maxEpochs: z.number().int().positive().default(100),
    batchSize: z.number().int().positive().default(256),
    learningRate: z.number().positive().default(1e-3),
    optimizer: z.literal('adam').default('adam'),
    /** Seed of the model's initial weights and the data split; with `repeats`, the first replicate's seed. */
    seed: z.number().int().default(1),
    /**
     * Replicates: one run of every configuration per seed, e.g. `[1, 2, 3]`. Each replicate is a distinct run
     * (RunConfig.replicate and .seed are in its hash); the report averages them. Not together with `repeats`.
     */
    seeds: z.array(z.number().int()).min(1, 'give at least one seed, or leave seeds out').optional(),
    /** Replicates as a count: `repeats: 3` runs seeds `seed`, `seed + 1`, `seed + 2`. Not together with `seeds`. */
    repeats: z.number().int().min(1).max(1000).optional(),
    /**
     * A short untimed training (the first run's model on a few batches of its data) before the first timed run of
     * the process, so that run does not pay for JIT compilation, kernel set-up and cold caches. Default true.
     */
    warmUp: z.boolean().default(true),
    /**
     * Carbon of every run (final.carbon): `intensityGPerKWh` (g CO2e/kWh), `country` (ISO 3166-1 alpha-3: its yearly
     * average from Ember via @tgwf/co2) or `zone` (Electricity Maps: live intensity when the grid starts, token in
     * ELECTRICITYMAPS_TOKEN), the first given winning, and `pue` (default 1). `--carbon-intensity`/`--carbon-country`/
     * `--carbon-zone` win over it.
     */
    carbon: CarbonConfigSchema.optional(),
    /** Which BCNN the `bcnn` architecture means (DESIGN.md: MC-dropout is the default). */
    bcnnKind: z.enum(BCNN_KINDS).default('mc-dropout'),
    /** Probe names to measure with (default: whatever `eff probes` detects, else the labelled estimate). */
    probes: z.array(z.string().min(1)).optional(),
    /**
     * The GPUs the training may use, as the vendor tools name them: indices, `GPU-…` UUIDs or `MIG-…` ids. GPU
     * probes measure only these; wins over CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES and SLURM's allocation
     * (`--gpus` wins over it). Default: the environment's selection. Not part of a run's hash.
     */
    gpus: z
      .array(
        z.union([
          z.string().trim().min(1, 'a GPU is an index, a GPU-… UUID or a MIG-… id'),
          z.number().int().nonnegative().transform(String),
        ]),
      )
      .min(1, 'name at least one GPU, or leave gpus out to follow the environment')
      .optional(),
    /** Probe sampling interval in ms (DEFAULT_INTERVAL_MS: one default for the SDK and the CLI). */
    intervalMs: z.number().int().positive().max(MAX_INTERVAL_MS).default(DEFAULT_INTERVAL_MS),
    /**
     * The CPU's TDP in W for the labelled estimate (used only when no power meter is readable; default 85 W). Recorded
     * in each result's `probes[].estimate`; `--tdp` wins over it. Not part of a run's hash.
     */
    tdpW: z.number().positive().optional(),
    /** tfjs backend: `auto` picks tensorflow (tfjs-node[-gpu]) > wasm > cpu. */
    backend: z.string().min(1).default('auto'),
    /**
     * Threads eff's wasm training kernels run on (main thread included); default EFF_WASM_THREADS, else every core
     * up to four. Threads change a run's energy as well as its time, so a set value is part of each run's config.
     */
    threads: z.number().int().min(1).max(64).optional(),
    mnist: MnistDataSchema.default({ validationSplit: 0.2 }),
    cifar10: CifarDataSchema.default({ folds: 6, perClassPerFold: 1000, validationSplit: 0.2 }),
  })
  .strict()
  .refine((g) => g.seeds === undefined || g.repeats === undefined, {
    message: 'give either seeds: [...] or repeats: N, not both (repeats N means seeds seed … seed + N − 1)',
    path: ['repeats'],
  })
  .refine((g) => g.seeds === undefined || new Set(g.seeds).size === g.seeds.length, {
    message: 'seeds must be distinct: two replicates with the same seed are the same run',
    path: ['seeds'],
  })
  // a repeated entry expanded into two planned runs with one hash: trained twice, then "found twice" in the results
  .refine((g) => distinct(g.datasets), { message: 'datasets must be distinct', path: ['datasets'] })
  .refine((g) => distinct(g.architectures), {
    message: 'architectures must be distinct',
    path: ['architectures'],
  })
  .refine((g) => distinct(g.sizes), { message: 'sizes must be distinct', path: ['sizes'] })
  .refine((g) => distinct(g.criteria.map((c) => JSON.stringify(c))), {
    message: 'criteria must be distinct: two identical criteria are the same runs',
    path: ['criteria'],
  })
  .refine((g) => g.cifar10.onlyFolds === undefined || distinct(g.cifar10.onlyFolds), {
    message: 'onlyFolds must be distinct',
    path: ['cifar10', 'onlyFolds'],
  })
  // an unknown country used to pass validation and --dry-run, and stop eff run with exit 1 after writing its grid file
  .refine((g) => g.carbon?.country === undefined || knownCountry(g.carbon.country), {
    message:
      'no yearly average grid intensity for this country; give an ISO 3166-1 alpha-3 code such as DEU, FRA, USA (or WORLD)',
    path: ['carbon', 'country'],
  })
  // a fold past the last one used to be dropped silently: onlyFolds [9] of 6 folds ran nothing and exited 0
  .refine((g) => (g.cifar10.onlyFolds ?? []).every((f) => f < g.cifar10.folds), {
    message: 'onlyFolds are 0-based fold numbers below cifar10.folds',
    path: ['cifar10', 'onlyFolds'],
  });

function knownCountry(country: string): boolean {
  try {
    countryIntensity(country);
    return true;
  } catch {
    return false;
  }
}

function distinct(values: readonly unknown[]): boolean {
  return new Set(values).size === values.length;
}

export type GridConfig = z.infer<typeof GridConfigSchema>;

/**
 * The seed of each replicate, in order: `seeds`, else `repeats` consecutive seeds from `seed`, else `[seed]` (one
 * replicate, the grid as before replicates existed).
 */
export function replicateSeeds(grid: Pick<GridConfig, 'seed' | 'seeds' | 'repeats'>): number[] {
  if (grid.seeds) return [...grid.seeds];
  return Array.from({ length: grid.repeats ?? 1 }, (_, i) => grid.seed + i);
}
/** What a user writes (defaults not yet applied). */
export type GridConfigInput = z.input<typeof GridConfigSchema>;
