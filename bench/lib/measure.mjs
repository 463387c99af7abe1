// Timing helpers for the benchmarks: run a command or a function several times, keep the median.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/** Median of numbers (the mean of the middle two for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `command args` to completion and returns {ms, cpuMs, stdout, stderr, code}. cpuMs is the user +
 * system CPU time of the command and of every descendant it waited for (workers, nodes): it is run
 * under bash, whose `times` builtin reports its children's rusage on descriptor 3. CPU seconds move
 * less than wall seconds when other processes load the machine.
 */
export function runCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-c', '"$@"; code=$?; times >&3; exit $code', 'bash', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      ...options,
    });
    const out = [];
    const err = [];
    const times = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.stdio[3].on('data', (chunk) => times.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({
        ms,
        cpuMs: childrenCpuMs(Buffer.concat(times).toString()),
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

/** The children's user + system milliseconds from bash's `times` (second line: "0m1.250s 0m0.120s"). */
function childrenCpuMs(text) {
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
