/**
 * Turns anything thrown by user code into the protocol's WireError (kind, message, stack).
 */
import type { WireError } from '../protocol.js';

/** A WireError from a thrown value; non-Error throws (`throw "x"`) keep their text under kind `Error`. */
export function toWireError(thrown: unknown): WireError {
  if (thrown instanceof Error) {
    return {
      kind: thrown.name || 'Error',
      message: thrown.message,
      ...(thrown.stack === undefined ? {} : { stack: thrown.stack }),
    };
  }
  return { kind: 'Error', message: typeof thrown === 'string' ? thrown : safeJson(thrown) };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
