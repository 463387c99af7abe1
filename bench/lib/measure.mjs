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
 * Runs `command args` to completion and returns {ms, stdout, stderr, code, peakRssKb}. Peak RSS is the
 * child's VmHWM read from /proc just before it is reaped (0 when unavailable).
 */
export function runCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ ms, code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
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
