/**
 * Parsers for option values, in commander's shape `(value) => parsed`: a bad value throws
 * commander's InvalidArgumentError, which commander reports as `error: option '--x <n>' argument 'v'
 * is invalid. <our reason>` and which the CLI maps to exit code 2.
 */
import { InvalidArgumentError } from 'commander';

/** An integer ≥ 1 (node counts, cores). */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1.');
  }
  return n;
}

/** An integer ≥ 0 (GPUs, milliseconds). */
export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected a whole number of at least 0.');
  return n;
}

/** A TCP port, 0..65535 (0 = any free port). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return n;
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `500ms`, `30s`, `15m`, `1.5h`, `7d` in milliseconds (rounded); undefined when `text` is not such a duration. */
export function durationMsOf(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  const ms = match === null ? NaN : Number(match[1]) * (DURATION_UNIT_MS[match[2] ?? ''] ?? NaN);
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined;
}

/** A positive duration with its unit, `500ms`, `30s`, `15m`, `2h`: returned in milliseconds. */
export function parseDuration(value: string): number {
  const ms = durationMsOf(value);
  if (ms === undefined || ms < 1)
    throw new InvalidArgumentError('expected a duration with its unit, e.g. 500ms, 30s, 15m or 2h.');
  return ms;
}

/** The log levels the CLI accepts (pino's names). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
