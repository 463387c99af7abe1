/**
 * The error hierarchy of parajob. Every error has a stable `name` so it survives crossing the wire
 * (as `error_kind`) and the CLI can choose an exit code from it. Messages say what is wrong, where
 * (file, key path, line) and what would be right.
 */
export class ParajobError extends Error {
  override readonly name: string = 'ParajobError';
}

/** Where in a YAML file an error is. `line` and `column` are 1-based. */
export interface SourceLocation {
  readonly file: string;
  /** Dotted key path, e.g. `jobs.score.retry_settings.timeout`. */
  readonly keyPath: string;
  readonly line?: number;
  readonly column?: number;
}

/** The job spec is invalid. Rendered as `<file>:<line>:<col>: <keyPath>: <message>`. */
export class SpecError extends ParajobError {
  override readonly name = 'SpecError';
  constructor(
    readonly location: SourceLocation,
    readonly detail: string,
  ) {
    super(formatLocated(location, detail));
  }
}

/** Several spec errors at once, so a user fixes them in one pass. */
export class SpecErrors extends ParajobError {
  override readonly name = 'SpecErrors';
  constructor(readonly errors: readonly SpecError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

/** An input (path, MLTable, data file) cannot be used. */
export class InputError extends ParajobError {
  override readonly name = 'InputError';
}

/** The entry script is unusable (missing, no `run` export, throws in init). */
export class EntryScriptError extends ParajobError {
  override readonly name = 'EntryScriptError';
  constructor(
    message: string,
    /** True when retrying cannot help (a missing export, a syntax error). */
    readonly nonRetryable: boolean,
  ) {
    super(message);
  }
}

export class NodeLostError extends ParajobError {
  override readonly name = 'NodeLostError';
}

/** `file:line:col: key.path: detail` (line and column when known). */
export function formatLocated(location: SourceLocation, detail: string): string {
  const where =
    location.line === undefined ? location.file : `${location.file}:${location.line}:${location.column ?? 1}`;
  return location.keyPath ? `${where}: ${location.keyPath}: ${detail}` : `${where}: ${detail}`;
}
