// Which GPUs a job may use: an explicit option, else the runtime's visibility variables, else the scheduler's allocation.
import { ProbeError } from './errors.js';

/**
 * One GPU as the vendor tool enumerates it (nvidia-smi / NVML / rocm-smi order, i.e. PCI bus order for NVIDIA).
 * `index` is the tool's own index; `deviceId` is the probe's id for it (`gpu0`); `uuid` (`GPU-…`) and `name`
 * (the model, e.g. `NVIDIA A100-SXM4-40GB`) when the tool reports them; `migIds` the MIG instances on this GPU
 * (`MIG-…` UUIDs), so that a MIG id can be mapped to the GPU whose power contains it.
 */
export interface ListedGpu {
  index: number;
  uuid?: string;
  deviceId: string;
  name?: string;
  migIds?: readonly string[];
}

/**
 * The GPUs to measure, in the tool's order, with where that choice came from (`selectedBy`: `option`, the name of
 * the variable, `ROCR_VISIBLE_DEVICES+HIP_VISIBLE_DEVICES` when both narrowed it, or `all`) and sentences worth
 * recording beside the result (MIG instances measured through their GPU, ignored entries, assumptions made).
 */
export interface SelectedGpus {
  devices: ListedGpu[];
  selectedBy: string;
  notes: string[];
}

export interface SelectGpusOptions {
  /**
   * Explicit choice (`gpus` probe option, `--gpus`): the tool's indices (numbers or digit strings), `GPU-…` UUIDs
   * (a unique prefix is enough) or `MIG-…` ids. Wins over every variable.
   */
  gpus?: readonly (string | number)[];
  /** Environment to read the variables from; `process.env` when omitted. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The requested GPUs cannot be resolved on this machine: a device that does not exist (the message names it and
 * lists what exists), an ambiguous UUID prefix, or an index-only CUDA selection on a machine whose GPU models differ
 * while `CUDA_DEVICE_ORDER` is not `PCI_BUS_ID`. `selectedBy` says which source asked for it.
 */
export class GpuSelectionError extends ProbeError {
  readonly selectedBy: string;
  constructor(message: string, selectedBy: string) {
    super('E_GPU_SELECTION', message);
    this.name = 'GpuSelectionError';
    this.selectedBy = selectedBy;
  }
}

const SLURM_VARIABLES = ['SLURM_JOB_GPUS', 'GPU_DEVICE_ORDINAL', 'SLURM_STEP_GPUS'] as const;

/**
 * Resolves which of the `listed` GPUs the job may use. Precedence: `options.gpus` > (NVIDIA)
 * `CUDA_VISIBLE_DEVICES`, then `NVIDIA_VISIBLE_DEVICES` / (AMD) `ROCR_VISIBLE_DEVICES` narrowed by
 * `HIP_VISIBLE_DEVICES` (or `CUDA_VISIBLE_DEVICES`, which HIP also honours) > `SLURM_JOB_GPUS`,
 * `GPU_DEVICE_ORDINAL`, `SLURM_STEP_GPUS` > all listed GPUs. Returns the devices in the tool's order, without
 * duplicates; an empty list when the source grants no GPU (empty value, `-1`, `none`, `void`).
 * Reads no state but `options.env` (default `process.env`). Throws GpuSelectionError (code `E_GPU_SELECTION`).
 */
export function selectGpus(
  vendor: 'nvidia' | 'amd',
  listed: readonly ListedGpu[],
  options: SelectGpusOptions = {},
): SelectedGpus {
  const env = options.env ?? process.env;
  const ordered = [...listed].sort((a, b) => a.index - b.index);
  if (options.gpus !== undefined) {
    return fromExplicitOption(ordered, options.gpus.map(String));
  }
  const fromRuntime =
    vendor === 'nvidia' ? fromNvidiaVariables(ordered, env) : fromAmdVariables(ordered, env);
  if (fromRuntime) return fromRuntime;
  for (const variable of SLURM_VARIABLES) {
    const value = env[variable];
    if (value !== undefined) return fromScheduler(ordered, variable, value);
  }
  return { devices: ordered, selectedBy: 'all', notes: [] };
}

// ---- sources ----

function fromExplicitOption(listed: readonly ListedGpu[], entries: readonly string[]): SelectedGpus {
  const notes: string[] = [];
  const picked: ListedGpu[] = [];
  for (const entry of entries.map((e) => e.trim())) {
    const found = resolveEntry(listed, entry, 'tool', 'option');
    if (found.kind !== 'gpu') {
      throw new GpuSelectionError(
        `gpus option: ${JSON.stringify(entry)} is not a GPU index, GPU-… UUID or MIG-… id of this machine; ` +
          `${available(listed)}`,
        'option',
      );
    }
    picked.push(found.gpu);
    if (found.note) notes.push(found.note);
  }
  return { devices: inToolOrder(listed, picked), selectedBy: 'option', notes };
}

function fromNvidiaVariables(listed: readonly ListedGpu[], env: NodeJS.ProcessEnv): SelectedGpus | undefined {
  const cuda = env.CUDA_VISIBLE_DEVICES;
  if (cuda !== undefined) {
    const indexOrder = cudaIndexOrder(listed, env);
    const byCuda = fromVisibilityList(listed, 'CUDA_VISIBLE_DEVICES', cuda, indexOrder);
    const selected = { ...byCuda, devices: inToolOrder(listed, byCuda.devices) };
    const byIndex = cuda.split(',').some((e) => /^[0-9]+$/.test(e.trim()));
    const modelsUnknown = listed.some((g) => g.name === undefined || g.name === '');
    if (byIndex && listed.length > 1 && modelsUnknown && env.CUDA_DEVICE_ORDER === undefined) {
      selected.notes.push(
        "CUDA_VISIBLE_DEVICES selects by index and the tool did not name the GPU models: CUDA's order is assumed " +
          'to be the PCI order (set CUDA_DEVICE_ORDER=PCI_BUS_ID or use UUIDs to be sure)',
      );
    }
    return selected;
  }
  const nvidia = env.NVIDIA_VISIBLE_DEVICES;
  if (nvidia !== undefined) {
    const value = nvidia.trim().toLowerCase();
    if (value === 'all') return { devices: [...listed], selectedBy: 'NVIDIA_VISIBLE_DEVICES', notes: [] };
    if (value === '' || value === 'none' || value === 'void') {
      return {
        devices: [],
        selectedBy: 'NVIDIA_VISIBLE_DEVICES',
        notes: [`NVIDIA_VISIBLE_DEVICES=${JSON.stringify(nvidia)} gives the job no GPU`],
      };
    }
    return fromContainerList(listed, 'NVIDIA_VISIBLE_DEVICES', nvidia);
  }
  return undefined;
}

function fromAmdVariables(listed: readonly ListedGpu[], env: NodeJS.ProcessEnv): SelectedGpus | undefined {
  const rocr = env.ROCR_VISIBLE_DEVICES;
  const hipVariable =
    env.HIP_VISIBLE_DEVICES !== undefined
      ? 'HIP_VISIBLE_DEVICES'
      : env.CUDA_VISIBLE_DEVICES !== undefined
        ? 'CUDA_VISIBLE_DEVICES'
        : undefined;
  if (rocr === undefined && hipVariable === undefined) return undefined;
  let devices = [...listed];
  const notes: string[] = [];
  const sources: string[] = [];
  if (rocr !== undefined) {
    const byRocr = fromVisibilityList(listed, 'ROCR_VISIBLE_DEVICES', rocr, listed);
    devices = byRocr.devices;
    notes.push(...byRocr.notes);
    sources.push('ROCR_VISIBLE_DEVICES');
  }
  if (hipVariable !== undefined) {
    // HIP numbers the devices ROCr left visible 0..n-1 (in ROCr's order), so its indices index into that list
    const byHip = fromVisibilityList(devices, hipVariable, env[hipVariable] ?? '', devices);
    devices = byHip.devices;
    notes.push(...byHip.notes);
    sources.push(hipVariable);
  }
  return { devices: inToolOrder(listed, devices), selectedBy: sources.join('+'), notes };
}

/** SLURM's ids are the node's GPU numbers (the tool's indices); inside a device cgroup the tool renumbers them. */
function fromScheduler(listed: readonly ListedGpu[], variable: string, value: string): SelectedGpus {
  return fromContainerList(listed, variable, value);
}

// ---- list parsing ----

/**
 * A CUDA-style list (CUDA_VISIBLE_DEVICES, ROCR/HIP_VISIBLE_DEVICES): entries are indices into `indexOrder`,
 * UUIDs (unique prefix) or MIG ids. Like the CUDA runtime, parsing stops at the first entry that is not one of
 * those forms (`-1`, a word), so an empty value or a leading `-1` means no GPU; what follows is ignored (noted).
 * A well-formed entry naming a device that is not here is an error, not silently dropped. The devices come in the
 * list's order (duplicates once), so a later list (HIP after ROCr) can index into them; sort with inToolOrder.
 */
function fromVisibilityList(
  listed: readonly ListedGpu[],
  variable: string,
  value: string,
  indexOrder: readonly ListedGpu[] | 'ambiguous',
): SelectedGpus {
  const notes: string[] = [];
  const picked: ListedGpu[] = [];
  const entries = value.split(',').map((e) => e.trim());
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] ?? '';
    if (/^[0-9]+$/.test(entry) && indexOrder === 'ambiguous') throw ambiguousOrder(listed, variable, value);
    const found = resolveEntry(listed, entry, indexOrder === 'ambiguous' ? listed : indexOrder, variable);
    if (found.kind === 'invalid') {
      const rest = entries.slice(i).join(',');
      if (value.trim() === '') notes.push(`${variable} is empty: the job may use no GPU`);
      else if (picked.length === 0)
        notes.push(
          `${variable}=${value}: the job may use no GPU (the runtime stops at ${JSON.stringify(entry)})`,
        );
      else
        notes.push(
          `${variable}=${value}: the runtime stops at ${JSON.stringify(entry)}, so ${JSON.stringify(rest)} is ignored`,
        );
      break;
    }
    if (found.kind === 'missing') {
      throw new GpuSelectionError(
        `${variable}=${value} names ${JSON.stringify(entry)}, which is not a GPU of this machine; ${available(listed)}`,
        variable,
      );
    }
    if (!picked.includes(found.gpu)) picked.push(found.gpu);
    if (found.note) notes.push(found.note);
  }
  // in the list's order, not the tool's: HIP's indices count in ROCR_VISIBLE_DEVICES's order (callers sort at the end)
  return { devices: picked, selectedBy: variable, notes };
}

/**
 * NVIDIA_VISIBLE_DEVICES and SLURM's lists name GPUs by the node's numbering (or UUID). Inside the container or
 * device cgroup they were applied to, the tool lists only the granted GPUs, renumbered from 0: when the ids do not
 * all resolve but the tool lists exactly as many GPUs as the list names, those are the granted ones.
 */
function fromContainerList(listed: readonly ListedGpu[], variable: string, value: string): SelectedGpus {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) {
    return { devices: [], selectedBy: variable, notes: [`${variable} is empty: the job may use no GPU`] };
  }
  const notes: string[] = [];
  const picked: ListedGpu[] = [];
  const missing: string[] = [];
  for (const entry of entries) {
    // NVIDIA_VISIBLE_DEVICES also writes a MIG instance as `<gpu index>:<mig index>`
    const migByIndex = /^([0-9]+):[0-9]+$/.exec(entry);
    const found = resolveEntry(listed, migByIndex ? (migByIndex[1] ?? '') : entry, listed, variable);
    if (found.kind !== 'gpu') {
      missing.push(entry);
      continue;
    }
    picked.push(found.gpu);
    if (migByIndex) notes.push(migNote(entry, found.gpu));
    else if (found.note) notes.push(found.note);
  }
  if (missing.length > 0) {
    if (listed.length === entries.length && entries.every((e) => !/^(GPU|MIG)-/i.test(e))) {
      return {
        devices: [...listed],
        selectedBy: variable,
        notes: [
          `${variable}=${value}: this process sees ${listed.length} GPU(s) (the container or cgroup already ` +
            'applied the list and renumbered them); all are measured',
        ],
      };
    }
    throw new GpuSelectionError(
      `${variable}=${value} names ${missing.map((m) => JSON.stringify(m)).join(', ')}, not GPU(s) of this machine; ` +
        available(listed),
      variable,
    );
  }
  return { devices: inToolOrder(listed, picked), selectedBy: variable, notes };
}

type Resolved = { kind: 'gpu'; gpu: ListedGpu; note?: string } | { kind: 'missing' } | { kind: 'invalid' };

/** One entry: an index into `indexOrder` ('tool' = the tool's own index), a GPU UUID (prefix), or a MIG id. */
function resolveEntry(
  listed: readonly ListedGpu[],
  entry: string,
  indexOrder: readonly ListedGpu[] | 'tool',
  source: string,
): Resolved {
  if (/^[0-9]+$/.test(entry)) {
    const n = Number(entry);
    const gpu = indexOrder === 'tool' ? listed.find((g) => g.index === n) : indexOrder[n];
    return gpu ? { kind: 'gpu', gpu } : { kind: 'missing' };
  }
  if (/^MIG-/i.test(entry)) {
    // old form MIG-GPU-<gpu uuid>/<gi>/<ci> names its parent; the new form MIG-<uuid> is found in the tool's MIG list
    const parentUuid = /^MIG-(GPU-[^/]+)\//i.exec(entry)?.[1];
    const gpu = parentUuid
      ? listed.find((g) => sameId(g.uuid, parentUuid))
      : listed.find((g) => g.migIds?.some((m) => sameId(m, entry)));
    return gpu ? { kind: 'gpu', gpu, note: migNote(entry, gpu) } : { kind: 'missing' };
  }
  if (/^GPU-/i.test(entry)) {
    const matches = listed.filter((g) => g.uuid?.toLowerCase().startsWith(entry.toLowerCase()) === true);
    const exact = matches.find((g) => sameId(g.uuid, entry));
    if (exact) return { kind: 'gpu', gpu: exact };
    if (matches.length === 1 && matches[0]) return { kind: 'gpu', gpu: matches[0] };
    if (matches.length > 1) {
      throw new GpuSelectionError(
        `${source}: ${JSON.stringify(entry)} is a prefix of ${matches.length} GPU UUIDs ` +
          `(${matches.map((g) => g.uuid).join(', ')}); give more of the UUID`,
        source,
      );
    }
    return { kind: 'missing' };
  }
  return { kind: 'invalid' };
}

// ---- helpers ----

/**
 * The order CUDA numbers GPUs in. With CUDA_DEVICE_ORDER=PCI_BUS_ID it is the tool's (PCI) order. The default,
 * FASTEST_FIRST, puts faster models first, which is the PCI order only when all GPUs are the same model; when the
 * models are not known (a tool that does not print them) PCI order is assumed and the caller notes it.
 */
function cudaIndexOrder(
  listed: readonly ListedGpu[],
  env: NodeJS.ProcessEnv,
): readonly ListedGpu[] | 'ambiguous' {
  if ((env.CUDA_DEVICE_ORDER ?? '').trim().toUpperCase() === 'PCI_BUS_ID') return listed;
  const names = new Set(listed.map((g) => g.name).filter((n): n is string => n !== undefined && n !== ''));
  return names.size > 1 ? 'ambiguous' : listed;
}

function ambiguousOrder(listed: readonly ListedGpu[], variable: string, value: string): GpuSelectionError {
  const models = listed.map((g) => `${g.deviceId} ${g.name ?? '?'}`).join(', ');
  return new GpuSelectionError(
    `${variable}=${value} selects GPUs by index, but this machine has GPUs of different models (${models}) and ` +
      "CUDA's default order (FASTEST_FIRST) then differs from nvidia-smi's PCI order, so eff cannot tell which GPU " +
      'the job uses. Set CUDA_DEVICE_ORDER=PCI_BUS_ID for the job (and eff), or name the GPUs by UUID ' +
      `(${listed.map((g) => g.uuid ?? g.deviceId).join(', ')})`,
    variable,
  );
}

function migNote(entry: string, gpu: ListedGpu): string {
  return (
    `${entry} is a MIG instance of ${gpu.deviceId}${gpu.uuid ? ` (${gpu.uuid})` : ''}: a MIG instance's power ` +
    'cannot be measured apart from its GPU, so the whole GPU is measured (other instances on it included)'
  );
}

function sameId(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function inToolOrder(listed: readonly ListedGpu[], picked: readonly ListedGpu[]): ListedGpu[] {
  return listed.filter((g) => picked.includes(g));
}

function available(listed: readonly ListedGpu[]): string {
  if (listed.length === 0) return 'the tool lists no GPU';
  const each = listed.map(
    (g) => `${g.deviceId} (index ${g.index}${g.uuid ? `, ${g.uuid}` : ''}${g.name ? `, ${g.name}` : ''})`,
  );
  return `this machine has: ${each.join('; ')}`;
}
