// Result files: JSON Lines of RunRecord (validated read, fsynced append), CSV export, and the stable config hash.
import { createHash } from 'node:crypto';
import { open, readFile, truncate } from 'node:fs/promises';
import type { z } from 'zod';
import {
  type Placement,
  type RunConfig,
  RunConfigSchema,
  type RunRecord,
  RunRecordSchema,
} from './schema.js';

/** A results file or record that does not match the schema; names the line and the field. */
export class ResultsFormatError extends Error {
  readonly code = 'E_RESULTS_FORMAT';
  constructor(
    message: string,
    readonly file: string | undefined,
    readonly line: number | undefined,
  ) {
    super(message);
    this.name = 'ResultsFormatError';
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`)
    .join('; ');
}

/**
 * The end of a results file that a crash cut mid-line: bytes after the last newline that are not JSON. A record
 * is written as one line with its newline in a single write, so only an interrupted append leaves such a tail.
 */
export interface TornTail {
  /** 1-based line number of the torn line. */
  line: number;
  /** Byte offset in the file where the torn line starts (everything before it is complete lines). */
  byteOffset: number;
  /** Its size in bytes. */
  bytes: number;
  /** The torn text (UTF-8, possibly ending mid-character), for messages. */
  text: string;
}

/**
 * Finds a torn tail in a results file's bytes: null when the file ends with a newline, when the bytes after the
 * last newline are blank, or when they are complete JSON (a record whose newline alone was lost).
 */
export function findTornTail(content: Buffer | string): TornTail | null {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const start = buf.lastIndexOf(0x0a) + 1;
  if (start === buf.length) return null;
  const text = buf.subarray(start).toString('utf8');
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
    return null;
  } catch {
    let line = 1;
    for (let i = 0; i < start; i++) if (buf[i] === 0x0a) line += 1;
    return { line, byteOffset: start, bytes: buf.length - start, text };
  }
}

/** Where a cut line is moved: beside the results file, `<name>.torn-<UTC time>` (no colons, for any filesystem). */
export function tornTailPath(file: string, at: Date = new Date()): string {
  return `${file}.torn-${at.toISOString().replaceAll(':', '-')}`;
}

/** Parses JSON Lines text into validated RunRecords. Blank lines are allowed; everything else must be a record. */
export function parseJsonl(text: string, file?: string): RunRecord[] {
  const out: RunRecord[] = [];
  const lines = text.split('\n');
  const where = file ?? 'results';
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const lineNo = i + 1;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      const last = i === lines.length - 1;
      throw new ResultsFormatError(
        `${where}:${lineNo}: not valid JSON (${(e as Error).message})${
          last
            ? `; the last line has no newline, so a crash cut it: run \`eff run\` with the same --out again (it moves the cut line to ${where}.torn-<time> and redoes that run), or read the file with readJsonlKeepingTail`
            : '; a line cut by an earlier crash, with runs appended after it? move that line out of the file (the run it held is redone by the next eff run)'
        }`,
        file,
        lineNo,
      );
    }
    const r = RunRecordSchema.safeParse(json);
    if (!r.success) {
      throw new ResultsFormatError(
        `${where}:${lineNo}: not a RunRecord (schema version ${String((json as { schemaVersion?: unknown })?.schemaVersion)}): ${describeIssues(r.error)}`,
        file,
        lineNo,
      );
    }
    out.push(r.data);
  });
  return out;
}

/** Reads a JSON Lines results file; throws ResultsFormatError naming line and field on any bad record. */
export async function readJsonl(file: string): Promise<RunRecord[]> {
  return parseJsonl(await readFile(file, 'utf8'), file);
}

/**
 * Reads every complete record of a results file and sets a torn last line apart instead of failing on it (the
 * file is not changed). Any other bad line, a torn one in the middle included, throws ResultsFormatError naming
 * file and line.
 */
export async function readJsonlKeepingTail(
  file: string,
): Promise<{ records: RunRecord[]; tornTail: TornTail | null }> {
  const content = await readFile(file);
  const tornTail = findTornTail(content);
  const complete = tornTail ? content.subarray(0, tornTail.byteOffset) : content;
  return { records: parseJsonl(complete.toString('utf8'), file), tornTail };
}

/** What `repairTornTail` did: `movedTo` holds the torn bytes, cut from line `line` of the results file. */
export interface TornTailRepair extends TornTail {
  movedTo: string;
}

/**
 * Makes a results file safe to append to after a crash: a torn last line (see `findTornTail`) is copied to
 * `tornTailPath(file)` (fsynced, never overwriting) and then cut from the file (fsynced), so every complete record
 * stays and the next append starts on a fresh line; a complete last record that only lost its newline gets it
 * back. Returns what was moved, or null when nothing was torn. A crash during the repair leaves at worst the torn
 * line both in place and in the side file; the next repair copies it again under a new name.
 */
export async function repairTornTail(file: string, at: Date = new Date()): Promise<TornTailRepair | null> {
  const content = await readFile(file);
  if (content.length === 0 || content[content.length - 1] === 0x0a) return null;
  const torn = findTornTail(content);
  if (torn === null) {
    if (
      content
        .subarray(content.lastIndexOf(0x0a) + 1)
        .toString('utf8')
        .trim() !== ''
    ) {
      const handle = await open(file, 'a');
      try {
        await handle.write('\n');
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    return null;
  }
  const base = tornTailPath(file, at);
  let movedTo = base;
  for (let n = 2; ; n++) {
    try {
      const side = await open(movedTo, 'wx');
      try {
        await side.write(content.subarray(torn.byteOffset));
        await side.sync();
      } finally {
        await side.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      movedTo = `${base}-${n}`;
    }
  }
  await truncate(file, torn.byteOffset);
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { ...torn, movedTo };
}

/**
 * Validates a record and appends it as one line, then fsyncs before resolving: once this returns, a crash
 * cannot lose the record (a crash during the call loses at most this record). If the file does not end with a
 * newline (a torn line that `repairTornTail` was not asked to move), the record starts a new line rather than
 * gluing itself to the torn bytes.
 */
export async function appendJsonl(file: string, record: RunRecord): Promise<void> {
  const r = RunRecordSchema.safeParse(record);
  if (!r.success) {
    throw new ResultsFormatError(
      `refusing to write an invalid RunRecord to ${file}: ${describeIssues(r.error)}`,
      file,
      undefined,
    );
  }
  const handle = await open(file, 'a+');
  try {
    const { size } = await handle.stat();
    let lastByte = 0x0a;
    if (size > 0) {
      const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
      lastByte = buffer[0] ?? 0x0a;
    }
    await handle.write(`${lastByte === 0x0a ? '' : '\n'}${JSON.stringify(r.data)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Keeps a scheduler id usable in a file name on any filesystem (SLURM ids are digits; a het job has `+`). */
function fileSafe(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/**
 * The results file one process appends to inside a results directory, so that no two processes (on one node or
 * on several sharing a network file system) ever append to the same file:
 * - no shard and no scheduler: `results.jsonl` (one `eff run` per directory, as before shards existed);
 * - `--shard I/N` outside a scheduler: `results-shard-I-of-N.jsonl` (one process per shard; rerunning that shard
 *   resumes it, and its torn-tail repair touches only this file);
 * - under SLURM: the job's ids are added, `results-shard-I-of-N-slurm-<SLURM_ARRAY_JOB_ID>_<SLURM_ARRAY_TASK_ID>.jsonl`
 *   for an array task (`%A_%a`, as slurm names its logs) or `results[-shard-I-of-N]-slurm-<SLURM_JOB_ID>.jsonl`
 *   for a plain job. Job ids are unique per cluster, so a resubmitted array writes new files beside the old ones;
 *   a requeued task keeps its ids and resumes its own file.
 * Readers (`readRunRecords`, `readRunIndex`) read every `*.jsonl` of the directory as one grid, so the names only
 * matter for who writes where. Characters other than letters, digits, `_`, `.` and `-` in ids become `-`.
 */
export function resultsFileName(placement?: Placement): string {
  const shard = placement?.shard ? `-shard-${placement.shard.index}-of-${placement.shard.count}` : '';
  let job = '';
  if (placement?.arrayJobId !== undefined && placement.arrayTaskId !== undefined) {
    job = `-slurm-${fileSafe(placement.arrayJobId)}_${placement.arrayTaskId}`;
  } else if (placement?.jobId !== undefined) {
    job = `-slurm-${fileSafe(placement.jobId)}`;
  }
  return `results${shard}${job}.jsonl`;
}

/**
 * The components of a run's energy that are the whole node's, not the run's: on a node not reserved for the job
 * (`placement.exclusive === false`), CPU, RAM and whole-system readings include every other job on the node, so
 * each of them that was measured (present in `final.energyJ`) is listed; GPUs are the job's allocation and stay
 * the run's. [] on an exclusive node, outside a scheduler, or when exclusivity is unknown.
 */
export function sharedComponentsOf(
  energyJ: RunRecord['final']['energyJ'],
  placement: Placement | undefined,
): NonNullable<RunRecord['final']['sharedComponents']> {
  if (placement?.exclusive !== false) return [];
  return (['cpu', 'ram', 'system'] as const).filter((c) => energyJ[c] !== undefined);
}

/**
 * The record with `environment.placement` set to `placement` and `final.sharedComponents` filled from it (see
 * `sharedComponentsOf`; absent when nothing is shared). The joules are left as measured: reports mark shared
 * components instead of charging them to the run. Returns a new record; the input is not changed.
 */
export function withPlacement(record: RunRecord, placement: Placement | undefined): RunRecord {
  if (placement === undefined) return record;
  const shared = sharedComponentsOf(record.final.energyJ, placement);
  const { sharedComponents: _old, ...final } = record.final;
  return {
    ...record,
    environment: { ...record.environment, placement },
    final: shared.length > 0 ? { ...final, sharedComponents: shared } : final,
  };
}

/** JSON with object keys sorted at every level, so equal values give equal strings. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/**
 * Stable id of a run configuration: sha256 of the config with defaults filled and keys sorted, first 16 hex
 * digits. Key order and omitted defaults do not change it; any value change does.
 */
export function configHash(config: z.input<typeof RunConfigSchema> | RunConfig): string {
  const r = RunConfigSchema.safeParse(config);
  if (!r.success) {
    throw new ResultsFormatError(
      `configHash needs a valid RunConfig: ${describeIssues(r.error)}`,
      undefined,
      undefined,
    );
  }
  return createHash('sha256').update(stableStringify(r.data)).digest('hex').slice(0, 16);
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function toCsv(header: string[], rows: unknown[][]): string {
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

const RUN_COLUMNS = [
  'runId',
  'status',
  'architecture',
  'size',
  'model',
  'dataset',
  'fold',
  'seed',
  'criterion',
  'criterionLabel',
  'criterionParams',
  'maxEpochs',
  'epochs',
  'accuracy',
  'accuracyOn',
  'trainAccuracy',
  'energyJ',
  'gpuJ',
  'cpuJ',
  'ramJ',
  'systemJ',
  'paperSumW',
  'efficiencyPerJ',
  'durationMs',
  'stoppedBy',
  'stopReason',
  'degraded',
  'estimated',
  'startedAt',
  'error',
  'sharedComponents',
  'hostname',
  'jobId',
  'arrayJobId',
  'arrayTaskId',
  'exclusive',
];

/**
 * One CSV row per run (RFC 4180 quoting; energies in J; paperSumW is a sum of watts, not energy). `sharedComponents`
 * lists, `;`-separated, the components whose joules are the node's (a shared node), then where the run ran.
 */
export function runsToCsv(records: readonly RunRecord[]): string {
  return toCsv(
    RUN_COLUMNS,
    records.map((r) => {
      const c = r.config;
      const f = r.final;
      return [
        r.runId,
        r.status,
        c.architecture,
        c.size,
        c.model ?? `${c.architecture}-${c.size}`,
        c.dataset,
        c.fold,
        c.seed,
        c.criterion.name,
        c.criterion.label,
        c.criterion.params,
        c.maxEpochs,
        f.epochs,
        f.accuracy,
        f.accuracyOn,
        f.trainAccuracy,
        f.energyJ.total,
        f.energyJ.gpu,
        f.energyJ.cpu,
        f.energyJ.ram,
        f.energyJ.system,
        f.paperSumW,
        f.efficiency,
        f.durationMs,
        f.stoppedBy.criterion,
        f.stoppedBy.reason,
        f.degraded,
        f.estimated,
        r.startedAt,
        r.error,
        (f.sharedComponents ?? []).join(';'),
        r.environment.hostname,
        r.environment.placement?.jobId,
        r.environment.placement?.arrayJobId,
        r.environment.placement?.arrayTaskId,
        r.environment.placement?.exclusive,
      ];
    }),
  );
}

const EPOCH_COLUMNS = [
  'runId',
  'architecture',
  'size',
  'dataset',
  'fold',
  'criterion',
  'epoch',
  'trainAccuracy',
  'validationAccuracy',
  'testAccuracy',
  'trainLoss',
  'validationLoss',
  'testLoss',
  'durationMs',
  'elapsedMs',
  'energyJ',
  'gpuJ',
  'cpuJ',
  'ramJ',
  'systemJ',
  'cumulativeEnergyJ',
  'cumulativePaperSumW',
  'efficiencyPerJ',
  'efficiencyAccuracy',
  'nonFinite',
];

/**
 * One CSV row per epoch of every run (the Eq. 2 curves). `nonFinite` lists a diverged epoch's values that were not
 * finite (their cells are empty), e.g. `trainLoss=Infinity;validationLoss=NaN`.
 */
export function epochsToCsv(records: readonly RunRecord[]): string {
  const rows: unknown[][] = [];
  for (const r of records) {
    const c = r.config;
    for (const e of r.epochs) {
      rows.push([
        r.runId,
        c.architecture,
        c.size,
        c.dataset,
        c.fold,
        c.criterion.label ?? c.criterion.name,
        e.epoch,
        e.trainAccuracy,
        e.validationAccuracy,
        e.testAccuracy,
        e.trainLoss,
        e.validationLoss,
        e.testLoss,
        e.durationMs,
        e.elapsedMs,
        e.energyJ.total,
        e.energyJ.gpu,
        e.energyJ.cpu,
        e.energyJ.ram,
        e.energyJ.system,
        e.cumulativeEnergyJ.total,
        e.cumulativePaperSumW,
        e.efficiency,
        e.efficiencyAccuracy,
        Object.entries(e.nonFinite ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(';'),
      ]);
    }
  }
  return toCsv(EPOCH_COLUMNS, rows);
}
