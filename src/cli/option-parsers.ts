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

/** The log levels the CLI accepts (pino's names). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
