// Describes the machine a benchmark ran on, and reads per-process figures from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Returns the CPU count, CPU model (as `lscpu` shows it), memory in MiB, OS and Node version. */
export function describeMachine() {
  return {
    cpus: os.availableParallelism(),
    cpuModel: lscpuModelName() ?? os.cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

function lscpuModelName() {
  try {
    const output = execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    return /^Model name:\s*(.+)$/m.exec(output)?.[1]?.trim() ?? null;
  } catch {
    return null;
  }
}

/** Resident set size of a process in MiB (VmRSS of /proc/PID/status), or null when the process is gone. */
export function residentMiB(pid) {
  const kib = statusFieldKiB(pid, 'VmRSS');
  return kib === null ? null : kib / 1024;
}

/** Peak resident set size of a process in MiB (VmHWM), or null when the process is gone. */
export function peakResidentMiB(pid) {
  const kib = statusFieldKiB(pid, 'VmHWM');
  return kib === null ? null : kib / 1024;
}

function statusFieldKiB(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const CLOCK_TICKS_PER_SECOND = readClockTicks();

function readClockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** CPU time (user + system) a process has used so far, in seconds, or null when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces, so count fields after its closing bracket.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return (userTicks + systemTicks) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * Reads the CPU time of the whole machine so far in seconds from the first
 * line of /proc/stat. `busy` is user, nice and system time. It leaves out
 * interrupt time because the kernel handles loopback packets in softirq time
 * that no process is charged for. Counting it would blame other processes for
 * the benchmark's own traffic. `steal` is time the hypervisor gave to other guests.
 */
export function machineCpuSeconds() {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , , , steal] = ticks;
  return { busy: (user + nice + system) / CLOCK_TICKS_PER_SECOND, steal: steal / CLOCK_TICKS_PER_SECOND };
}

/**
 * Waits until the machine's busy CPU time over one second is at most
 * `thresholdPercent` of one CPU, or until `maxWaitMs` passes. Returns the last
 * one-second figure in percent of one CPU.
 */
export async function waitForQuietMachine({ thresholdPercent, maxWaitMs }) {
  const deadline = performance.now() + maxWaitMs;
  let busyPercent;
  do {
    const before = machineCpuSeconds().busy;
    await sleep(1_000);
    busyPercent = (machineCpuSeconds().busy - before) * 100;
  } while (busyPercent > thresholdPercent && performance.now() < deadline);
  return busyPercent;
}

/** Process ids whose parent is `pid`, read from /proc. */
export function childPids(pid) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // The process exited while the list was read.
    }
  }
  return children;
}
