/**
 * The errors parajob throws in-process. Every class has a stable `name`, and the CLI chooses an exit
 * code from the class (src/cli/exit-codes.ts). Messages say what is wrong, where (file, key path,
 * line) and what would be right.
 *
 * Failures that happen in another process travel as data, not as these classes: an entry script
 * that retrying cannot help (missing, does not load, no `run`) is the worker's `invalidEntryScript`
 * (src/worker/protocol.ts), the proto's `PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT` and the job's
 * `FAILURE_KIND_INVALID_INPUT`; a lost node is a coordinator decision, never a thrown error.
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
  override readonly name: string = 'SpecErrors';
  constructor(readonly errors: readonly SpecError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

/** An input (path, MLTable, data file) cannot be used. */
export class InputError extends ParajobError {
  override readonly name = 'InputError';
}

/** `file:line:col: key.path: detail` (line and column when known). */
export function formatLocated(location: SourceLocation, detail: string): string {
  const where =
    location.line === undefined ? location.file : `${location.file}:${location.line}:${location.column ?? 1}`;
  return location.keyPath ? `${where}: ${location.keyPath}: ${detail}` : `${where}: ${detail}`;
}
