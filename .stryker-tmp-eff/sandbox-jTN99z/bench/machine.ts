// @ts-nocheck
// What the bench ran on, and how much of the CPUs other processes used meanwhile (from /proc).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  /** CPU flags that matter to the kernels (wasm SIMD maps to SSE/AVX). */
  simdFlags: string[];
  memoryGB: number;
  os: string;
  node: string;
  loadAverage1mAtStart: number;
}

export function describeMachine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpuModel;
    flags = /^flags\s*:\s*(.+)$/m.exec(info)?.[1]?.trim().split(/\s+/) ?? [];
  } catch {
    // not Linux: os.cpus() is what there is
  }
  return {
    cpuModel,
    cores: os.availableParallelism(),
    simdFlags: flags.filter((f) => /^(sse\d?|ssse3|sse4_[12]|avx.*|fma|f16c)$/.test(f)),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage1mAtStart: os.loadavg()[0] ?? 0,
  };
}

export const CLOCK_TICKS_PER_S = Number(
  spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim() || '100',
);

/** Busy and total CPU time of the whole machine so far, in ms, from the first line of /proc/stat. */
export function machineCpuMs(): { busyMs: number; totalMs: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
    const busy = user + nice + system + irq + softirq + steal;
    const toMs = (t: number) => (t / CLOCK_TICKS_PER_S) * 1000;
    return { busyMs: toMs(busy), totalMs: toMs(busy + idle + iowait) };
  } catch {
    return undefined;
  }
}

/** Share of all CPUs used by other processes between two /proc/stat readings, given our own CPU time (ms). */
export function othersCpuShare(
  start: { busyMs: number; totalMs: number },
  end: { busyMs: number; totalMs: number },
  ourCpuMs: number,
): number {
  const total = end.totalMs - start.totalMs;
  if (total <= 0) return 0;
  return Math.max(0, (end.busyMs - start.busyMs - ourCpuMs) / total);
}

/** utime + stime of a process from /proc/<pid>/stat, in ms; 0 once it has exited or off Linux. */
export function processCpuMs(pid: number, clockTicksPerS: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself contain spaces or parentheses).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicksPerS) * 1000;
  } catch {
    return 0;
  }
}
