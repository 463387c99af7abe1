// Timing helpers for the benchmarks: run a command or a function several times, keep the median.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Median of numbers (the mean of the middle two for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const DESCENDANTS_CPU = fileURLToPath(new URL('./descendants-cpu.py', import.meta.url));

/**
 * Runs `command args` to completion and returns {ms, cpuMs, lateReaped, stdout, stderr, code}. cpuMs is
 * the user + system CPU time of the command and of EVERY process it started, however deep and however
 * late it exits: the command runs under descendants-cpu.py, a child subreaper that inherits orphaned
 * descendants (a worker still exiting after its node, a node after the CLI), waits for all of them and
 * reports getrusage(RUSAGE_CHILDREN) on descriptor 3; lateReaped counts the descendants that outlived
 * the command. ms is the command's own wall time (from its start to its exit, measured by the wrapper,
 * so the wrapper's own start-up is not in it). Without python3 it falls back to bash's `times`, which
 * misses the CPU of descendants their parent did not wait for. CPU seconds move less than wall seconds
 * when other processes load the machine.
 */
export function runCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const wrapped = hasPython3()
      ? ['python3', [DESCENDANTS_CPU, command, ...args]]
      : ['bash', ['-c', '"$@"; code=$?; times >&3; exit $code', 'bash', command, ...args]];
    const child = spawn(wrapped[0], wrapped[1], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], ...options });
    const out = [];
    const err = [];
    const times = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.stdio[3].on('data', (chunk) => times.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const outerMs = Number(process.hrtime.bigint() - started) / 1e6;
      const report = Buffer.concat(times).toString();
      const tree = hasPython3() ? descendantsReport(report) : { cpuMs: bashChildrenCpuMs(report) };
      resolve({
        ms: tree.wallMs ?? outerMs,
        cpuMs: tree.cpuMs,
        lateReaped: tree.lateReaped ?? 0,
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

let python3Found;
function hasPython3() {
  python3Found ??= spawnSync('python3', ['-c', 'import ctypes, resource'], { stdio: 'ignore' }).status === 0;
  return python3Found;
}

/** descendants-cpu.py's line: "<user s> <system s> <wall s> <late>". */
function descendantsReport(text) {
  const [user, system, wall, late] = text.trim().split(/\s+/).map(Number);
  if (![user, system, wall].every(Number.isFinite)) return { cpuMs: Number.NaN };
  return { cpuMs: (user + system) * 1000, wallMs: wall * 1000, lateReaped: late };
}

/** The children's user + system milliseconds from bash's `times` (second line: "0m1.250s 0m0.120s"). */
function bashChildrenCpuMs(text) {
  const line = text.trim().split('\n')[1] ?? '';
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
  return parts.length === 2 ? parts[0] + parts[1] : Number.NaN;
}

/** Peak resident memory (kB) of a live process, from /proc/<pid>/status VmHWM. */
export function peakRssKb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs `fn` `times` times (after `warmup` unmeasured runs) and returns the measured results. */
export async function repeat(times, fn, warmup = 0) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const results = [];
  for (let i = 0; i < times; i++) results.push(await fn(i));
  return results;
}

/** Formats a number with a fixed number of significant decimals for the table. */
export function fmt(value, digits = 2) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

/**
 * Resolves with the loopback address of a `parajob coordinator --port 0` child once it prints
 * "listening on host:port"; throws if it exits first.
 */
export async function coordinatorAddress(child) {
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  for (;;) {
    const match = /listening on [^:]+:(\d+)/.exec(out);
    if (match) return `127.0.0.1:${match[1]}`;
    if (child.exitCode !== null) throw new Error(`coordinator exited: ${out}`);
    await once(child.stdout, 'data');
  }
}

/**
 * True when $PARAJOB_BENCH_SKIP (comma-separated) names `part`: a partial run on a loaded machine may
 * leave out slow peers (e.g. `xargs`) or parts (e.g. `cut`) that the figures it is after do not need.
 */
export function skipped(part) {
  return (process.env.PARAJOB_BENCH_SKIP ?? '').split(',').includes(part);
}
