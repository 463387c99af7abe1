/**
 * The contract between parajob and a JavaScript or TypeScript entry script: what its `init`, `run`
 * and `shutdown` exports receive and may return. The JS worker (../js-worker.ts) is typed against
 * these declarations, and the package's entry point (src/index.ts) exports them, so what a script is
 * compiled against is what the worker calls it with.
 *
 * Python entry scripts follow Azure ML's own contract (`init()`, `run(mini_batch)`), not this one.
 */
import type { ByteRangeItem } from '../protocol.js';

/**
 * A value of a table cell as the node parsed it: what `JSON.parse` can give. CSV cells are strings,
 * numbers, booleans or null (`infer_column_types`, `convert_column_types`; datetimes as ISO 8601
 * strings); JSON-lines and parquet cells may also be arrays and objects (parquet integers beyond
 * 2^53 as strings, bytes as base64).
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One row of a tabular mini-batch, keyed by column name. An empty field is `null` unless `empty_as_string`. */
export type TableRow = Record<string, JsonValue>;

/**
 * The mini-batch of a file-list input (`uri_folder`, or an MLTable of `paths` only): the absolute
 * paths of its files, in the input's sorted order. One path is one item.
 */
export type FileMiniBatch = string[];

/**
 * The mini-batch of a tabular input (an MLTable with a read transformation): its rows as records,
 * one row being one item, with the column names and the byte ranges the rows were read from
 * attached to the array. `'columns' in miniBatch` tells it from a {@link FileMiniBatch}.
 */
export type TabularMiniBatch = TableRow[] & {
  /** The column names, in the table's order (every row has each of them). */
  readonly columns: readonly string[];
  /** The byte ranges of the data files these rows came from. */
  readonly source: readonly ByteRangeItem[];
};

/** What `run` receives: a {@link FileMiniBatch} or a {@link TabularMiniBatch}, by the job's input. */
export type MiniBatch = FileMiniBatch | TabularMiniBatch;

/**
 * What `run` returns (or resolves to): one item per input item that succeeded. Fewer items than the
 * mini-batch holds count the rest as failed. With `append_row_to`, each item becomes one line of the
 * output: a string as it is, an array's values joined by single spaces, anything else as JSON (a
 * tabular mini-batch's records and arrays as Azure writes a DataFrame row).
 */
export type RunResult = readonly unknown[];

/**
 * The entry script's own log, `context.logger`: lines appended to
 * `logs/user/entry_script_log/<node>/<process>.log.txt`, arguments formatted as by `console.log`.
 * Lines below the job's `logging_level` are skipped.
 */
export interface EntryScriptLogger {
  /** Written when `logging_level` is DEBUG. */
  debug(...args: unknown[]): void;
  /** Written when `logging_level` is DEBUG or INFO. */
  info(...args: unknown[]): void;
  /** Always written (Azure's WARNING level). */
  warn(...args: unknown[]): void;
  /** Always written. */
  error(...args: unknown[]): void;
}

/**
 * The per-mini-batch part of the {@link EntryScriptContext}: set before each `run`, `undefined` in
 * `init` and `shutdown`.
 */
export interface MiniBatchContext {
  /** The running mini-batch's id (0-based, as in the run directory's reports); `undefined` outside `run`. */
  readonly miniBatchId: number | undefined;
  /** The running attempt of that mini-batch, from 1; `undefined` outside `run`. */
  readonly attempt: number | undefined;
  /** With `partition_keys`: the running mini-batch's key values (`{Store: "s1"}`); `undefined` otherwise. */
  readonly partitionKeyValue: Readonly<Record<string, JsonValue>> | undefined;
}

/**
 * The `context` every export receives: one object per worker process, the same in `init`, every
 * `run` and `shutdown` (keeping a reference is safe). Its per-mini-batch fields are set before each
 * `run` and are `undefined` in `init` and `shutdown`.
 */
export interface EntryScriptContext extends MiniBatchContext {
  /** The job's id (the run directory's name unless `--run-dir` chose another). */
  readonly jobId: string;
  /** The id the coordinator gave this node. */
  readonly nodeId: string;
  /** `process000`, `process001`, ...: stable across restarts of the same processor (Azure's agent name). */
  readonly processName: string;
  /**
   * The script's arguments after its name: the system arguments, then the step's
   * `program_arguments`. They are in `process.argv` too, Azure-style: parse only the ones you know.
   */
  readonly argv: readonly string[];
  /** The output folder (`append_row_to`, or the step's outputs); also in `$AZUREML_BI_OUTPUT_PATH`. */
  readonly outputDir: string;
  /** The entry script's log. */
  readonly logger: EntryScriptLogger;
}

/** The and Azure's name for the {@link EntryScriptContext}. */
export type RunContext = EntryScriptContext;

/** The and Azure's name for a {@link TabularMiniBatch} (Azure hands `run` a DataFrame). */
export type TableBatch = TabularMiniBatch;

/**
 * `init(context)`: called once per worker process, before any mini-batch (load models here).
 * Throwing (or rejecting) fails the init: the processor starts a fresh worker, with backoff.
 */
export type InitFunction = (context: EntryScriptContext) => void | Promise<void>;

/**
 * `run(miniBatch, context)`: called once per mini-batch attempt. Throwing (or rejecting) fails the
 * attempt, which is retried up to `retry_settings.max_retries`.
 */
export type RunFunction<Batch extends MiniBatch = MiniBatch> = (
  miniBatch: Batch,
  context: EntryScriptContext,
) => RunResult | Promise<RunResult>;

/**
 * `shutdown(context)`: called once when the worker has no more work. A throw there fails nothing:
 * every mini-batch is settled by then.
 */
export type ShutdownFunction = (context: EntryScriptContext) => void | Promise<void>;

/**
 * The exports of an entry script (an ES module, or CommonJS whose `module.exports` holds them): only
 * `run` is required. `Batch` narrows the mini-batch to the job's input kind, e.g.
 * `EntryScript<FileMiniBatch>`.
 */
export interface EntryScript<Batch extends MiniBatch = MiniBatch> {
  /** See {@link InitFunction}. */
  readonly init?: InitFunction;
  /** See {@link RunFunction}. */
  readonly run: RunFunction<Batch>;
  /** See {@link ShutdownFunction}. */
  readonly shutdown?: ShutdownFunction;
}

/**
 * The mini-batch type for items of type `Item`: a {@link FileMiniBatch} for paths (`string`), a
 * {@link TabularMiniBatch} for table rows.
 */
export type MiniBatchOf<Item extends string | TableRow> = Item extends string ? FileMiniBatch : TabularMiniBatch;

/**
 * An entry script typed by its items and its rows, as {@link defineEntryScript} takes it: `run`
 * receives a {@link MiniBatchOf}`<Item>` and returns `Row`s (one per item that succeeded).
 */
export interface TypedEntryScript<Item extends string | TableRow, Row> {
  /** See {@link InitFunction}. */
  readonly init?: InitFunction;
  /** See {@link RunFunction}; typed by `Item` and `Row`. */
  readonly run: (miniBatch: MiniBatchOf<Item>, context: RunContext) => readonly Row[] | Promise<readonly Row[]>;
  /** See {@link ShutdownFunction}. */
  readonly shutdown?: ShutdownFunction;
}
