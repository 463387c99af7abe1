/**
 * `task.program_arguments`: split into argv words like a POSIX shell would, and read the predefined
 * PRS arguments (SPEC.md 4.1) that configure the engine. The words stay in the user's argv as well,
 * because Azure passes the whole argv to the entry script.
 */
import { distance } from 'fastest-levenshtein';
import { split } from 'shlex';

/** Either the argv words or why the text cannot be split (an unclosed quote). */
export type SplitResult =
  { readonly ok: true; readonly words: string[] } | { readonly ok: false; readonly message: string };

/** Splits `text` into words with shell quoting rules (single and double quotes, backslashes). */
export function splitProgramArguments(text: string): SplitResult {
  try {
    return { ok: true, words: split(text) };
  } catch (error) {
    return { ok: false, message: `cannot split into arguments: ${(error as Error).message.toLowerCase()}` };
  }
}

/** The predefined arguments as found in the argv; seconds where the argument is a duration. */
export interface PredefinedArgumentValues {
  errorThreshold?: number;
  allowedFailedPercent?: number;
  taskOverheadTimeoutS?: number;
  progressUpdateTimeoutS?: number;
  firstTaskCreationTimeoutS?: number;
  resourceMonitorIntervalS?: number;
  copyLogsToParent?: boolean;
  pushMetricsToParent?: boolean;
  metricsNamePrefix?: string;
}

/** What reading the argv found: values, problems (one message each) and near-miss warnings. */
export interface PredefinedArgumentsRead {
  readonly values: PredefinedArgumentValues;
  readonly problems: readonly string[];
  readonly nearMisses: readonly string[];
}

/** The longest timeout Azure accepts for any of its predefined timeouts: 3 days, in seconds. */
export const MAX_TIMEOUT_S = 259_200;

type Parser = (text: string) => { value: number | boolean | string } | { expected: string };

const seconds: Parser = (text) => {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) && value > 0 && value <= MAX_TIMEOUT_S
    ? { value }
    : { expected: `seconds in (0, ${MAX_TIMEOUT_S}]` };
};

const TRUE_WORDS = new Set(['true', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'no', '0']);
const flag: Parser = (text) => {
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return { value: true };
  if (FALSE_WORDS.has(word)) return { value: false };
  return { expected: 'True or False (also yes/no, 1/0)' };
};

/** Each predefined argument: its field, how its value parses, and whether it may stand alone as a flag. */
const ARGUMENTS: Readonly<Record<string, { field: keyof PredefinedArgumentValues; parse: Parser; isFlag?: true }>> = {
  '--error_threshold': {
    field: 'errorThreshold',
    // The runtime takes an int or ceils a float.
    parse: (text) => {
      const value = Math.ceil(Number(text));
      return text.trim() !== '' && Number.isSafeInteger(value) && value >= -1
        ? { value }
        : { expected: 'an integer ≥ -1 (-1 = ignore all failed items)' };
    },
  },
  '--allowed_failed_percent': {
    field: 'allowedFailedPercent',
    parse: (text) => {
      const value = Number(text);
      return text.trim() !== '' && value >= 0 && value <= 100 ? { value } : { expected: 'a percentage in [0, 100]' };
    },
  },
  '--task_overhead_timeout': { field: 'taskOverheadTimeoutS', parse: seconds },
  '--progress_update_timeout': { field: 'progressUpdateTimeoutS', parse: seconds },
  '--first_task_creation_timeout': { field: 'firstTaskCreationTimeoutS', parse: seconds },
  '--resource_monitor_interval': {
    field: 'resourceMonitorIntervalS',
    parse: (text) => {
      const value = Number(text);
      return text.trim() !== '' && Number.isSafeInteger(value) && value >= 0
        ? { value }
        : { expected: 'whole seconds ≥ 0 (0 = off)' };
    },
  },
  '--copy_logs_to_parent': { field: 'copyLogsToParent', parse: flag, isFlag: true },
  '--push_metrics_to_parent': { field: 'pushMetricsToParent', parse: flag, isFlag: true },
  '--metrics_name_prefix': { field: 'metricsNamePrefix', parse: (text) => ({ value: text }) },
};

/** Names of the predefined arguments, `--` included. */
export const PREDEFINED_ARGUMENT_NAMES: readonly string[] = Object.keys(ARGUMENTS);

/**
 * Reads the predefined arguments from argv words, in both `--name value` and `--name=value` forms;
 * the last occurrence wins (as with Python's argparse). A boolean argument followed by nothing or by
 * another `--option` counts as True. Words that look like a misspelt predefined argument (at most 2
 * edits away, as the `--resource_monitor_interva` typo of the official example) give a near-miss note.
 */
export function readPredefinedArguments(words: readonly string[]): PredefinedArgumentsRead {
  const values: PredefinedArgumentValues = {};
  const problems: string[] = [];
  const nearMisses: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith('--')) continue;
    const equals = word.indexOf('=');
    const name = equals === -1 ? word : word.slice(0, equals);
    const spec = ARGUMENTS[name];
    if (!spec) {
      const near = PREDEFINED_ARGUMENT_NAMES.find((known) => distance(known, name) <= 2);
      if (near) nearMisses.push(`"${name}" is not a predefined argument; did you mean "${near}"?`);
      continue;
    }
    let text: string | undefined;
    if (equals !== -1) {
      text = word.slice(equals + 1);
    } else {
      const next = words[i + 1];
      if (next !== undefined && !(spec.isFlag && next.startsWith('--'))) {
        text = next;
        i++;
      } else if (spec.isFlag) {
        text = 'true';
      }
    }
    if (text === undefined) {
      problems.push(`${name} needs a value`);
      continue;
    }
    const parsed = spec.parse(text);
    if ('expected' in parsed) problems.push(`${name} "${text}" is invalid: expected ${parsed.expected}`);
    else (values as Record<string, unknown>)[spec.field] = parsed.value;
  }
  return { values, problems, nearMisses };
}
