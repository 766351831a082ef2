// The `--gpus LIST` option shared by `eff measure`, `eff run` and `eff probes`: the job's GPUs, winning over the environment.
import { InvalidArgumentError, Option } from 'commander';

/** Splits one `--gpus` value on commas and appends it to the earlier ones (the option may be repeated). */
export function parseGpuList(value: string, previous: string[] | undefined): string[] {
  const entries = value.split(',').map((v) => v.trim());
  if (entries.some((e) => e === '')) {
    throw new InvalidArgumentError(
      `expected GPU indices, GPU-… UUIDs or MIG-… ids separated by commas (e.g. 0,1), got '${value}'.`,
    );
  }
  // CUDA_VISIBLE_DEVICES=-1 is the CUDA idiom for "no GPU"; as a GPU to measure it can only be a mistake.
  const negative = entries.find((e) => /^-\d+$/.test(e));
  if (negative !== undefined) {
    throw new InvalidArgumentError(
      `'${negative}' is not a GPU (GPU indices start at 0). --gpus names GPUs to measure; to measure no GPU, leave --gpus out and name CPU probes with --probe (e.g. --probe rapl).`,
    );
  }
  return [...(previous ?? []), ...entries];
}

/**
 * `--gpus <list>`: parsed to a string array, undefined when absent (the probes then follow CUDA_VISIBLE_DEVICES,
 * ROCR_VISIBLE_DEVICES, SLURM's variables, …).
 */
export function gpusOption(): Option {
  return new Option(
    '--gpus <list>',
    "GPUs to measure: indices, GPU-… UUIDs or MIG-… ids (comma-separated or repeated); wins over CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES and SLURM's allocation",
  ).argParser(parseGpuList);
}
