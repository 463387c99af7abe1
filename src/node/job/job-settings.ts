/**
 * A JobAssignment compiled into the settings a node runs a job with: zero values replaced by their
 * defaults, paths made absolute, the log layout resolved. Machines read only these, never the raw
 * assignment, so the defaults live in one place.
 */
import { join } from 'node:path';

import { type ChaosPlan, parseChaosPlan } from '../../chaos/model.js';
import { ParajobError } from '../../errors.js';
import type { JobAssignment, StagedOutput } from '../../gen/parajob/v1/parajob.js';
import { logDirLayout } from '../../log/layout.js';

/** Default restart backoff after an init failure or crash (`init_backoff_ms` 0). */
export const DEFAULT_INIT_BACKOFF_MS = 100;
/** Restart backoff never grows beyond this. */
export const MAX_RESTART_BACKOFF_MS = 5_000;
/** Default init failures per processor before the node leaves a job (`max_init_failures` 0 = 3 × processors). */
export const DEFAULT_INIT_FAILURES_PER_PROCESSOR = 3;
/** Default OTP restart intensity: more than this many restarts... */
export const DEFAULT_RESTART_INTENSITY = 10;
/** ...within this window escalate the processor. */
export const DEFAULT_RESTART_PERIOD_MS = 60_000;
/** How long shutdown() may take before its worker is killed. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** Leases a processor keeps queued beyond the one it runs, when the assignment says 0. */
export const DEFAULT_PREFETCH = 1;

/** Everything a node needs to run one job; durations in milliseconds, 0 timeout = none. */
export interface JobSettings {
  readonly jobId: string;
  readonly jobName: string;
  readonly stepName: string;
  /** Root of the cached code snapshot. */
  readonly codeDir: string;
  /** Absolute path of the entry script inside `codeDir`. */
  readonly entryScript: string;
  readonly argv: readonly string[];
  /** The assignment's environment_variables (the worker adds its own on top of process.env). */
  readonly environment: Readonly<Record<string, string>>;
  /** Processors this node runs for the job. */
  readonly processors: number;
  /** run() time limit; 0 = unlimited. */
  readonly runTimeoutMs: number;
  /** --task_overhead_timeout: loading a mini-batch and handing it to run() (the processor's `loading`); 0 = unlimited. */
  readonly taskOverheadTimeoutMs: number;
  readonly outputDir: string;
  /** Outputs each attempt writes in its own staging folder (staged-outputs.ts); empty for none. */
  readonly stagedOutputs: readonly StagedOutput[];
  /** Names of the staged outputs this node does not see: staged locally, shipped over gRPC (prepareJob). */
  readonly shippedOutputs: readonly string[];
  readonly logDir: string;
  readonly layout: ReturnType<typeof logDirLayout>;
  readonly loggingLevel: 'DEBUG' | 'INFO' | 'WARNING';
  readonly appendRow: boolean;
  readonly prefetch: number;
  readonly inputKind: 'files' | 'tabular';
  /** Parsed tabular_reader_json (shape owned by src/input), undefined for file input. */
  readonly tabularReader: unknown;
  readonly initBackoffMs: number;
  /** Init failures on this node (all processors together) after which the node leaves the job. */
  readonly maxInitFailures: number;
  readonly restartIntensity: number;
  readonly restartPeriodMs: number;
  readonly shutdownGraceMs: number;
  /** Working directory root of this job's workers (one sub-folder per processor). */
  readonly workDir: string;
  /** Injected faults (chaos_json); the empty plan for normal jobs. */
  readonly chaos: ChaosPlan;
  /** --resource_monitor_interval in ms: how often the node samples into logs/sys/perf/<node>/; 0 = off. */
  readonly resourceMonitorIntervalMs: number;
  /** The checked Python interpreter of a `.py` entry script (job-python.ts, set at job start); undefined for JS. */
  readonly python?: string;
}

/** Node facts the compilation needs. */
export interface NodeFacts {
  readonly cores: number;
  /** Where the snapshot of `assignment.codeHash` lives. */
  readonly codeDir: string;
  /** The node's cache folder (workers' working directories go under it). */
  readonly cacheDir: string;
}

/**
 * Fills defaults (see the DEFAULT_* constants) and resolves paths. Throws ParajobError when the
 * assignment's JSON fields (tabular_reader_json, chaos_json) do not parse.
 */
export function compileJobSettings(assignment: JobAssignment, node: NodeFacts): JobSettings {
  const processors = assignment.maxConcurrency > 0 ? assignment.maxConcurrency : Math.max(1, node.cores);
  const inputKind = assignment.inputKind === 'tabular' ? 'tabular' : 'files';
  return {
    jobId: assignment.jobId,
    jobName: assignment.jobName,
    stepName: assignment.stepName,
    codeDir: node.codeDir,
    entryScript: join(node.codeDir, ...assignment.entryScript.split('/')),
    argv: [...assignment.argv],
    environment: { ...assignment.environmentVariables },
    processors,
    runTimeoutMs: assignment.runTimeoutMs,
    taskOverheadTimeoutMs: assignment.taskOverheadTimeoutMs,
    outputDir: assignment.outputDir,
    stagedOutputs: assignment.stagedOutputs,
    shippedOutputs: [],
    logDir: assignment.logDir,
    layout: logDirLayout(assignment.logDir),
    loggingLevel: loggingLevelOf(assignment.loggingLevel),
    appendRow: assignment.appendRow,
    prefetch: assignment.prefetch > 0 ? assignment.prefetch : DEFAULT_PREFETCH,
    inputKind,
    tabularReader:
      inputKind === 'tabular' && assignment.tabularReaderJson !== ''
        ? parseJsonField(assignment.tabularReaderJson, 'tabular_reader_json')
        : undefined,
    initBackoffMs: assignment.initBackoffMs > 0 ? assignment.initBackoffMs : DEFAULT_INIT_BACKOFF_MS,
    maxInitFailures:
      assignment.maxInitFailures > 0 ? assignment.maxInitFailures : DEFAULT_INIT_FAILURES_PER_PROCESSOR * processors,
    restartIntensity: assignment.restartIntensity > 0 ? assignment.restartIntensity : DEFAULT_RESTART_INTENSITY,
    restartPeriodMs: assignment.restartPeriodMs > 0 ? assignment.restartPeriodMs : DEFAULT_RESTART_PERIOD_MS,
    shutdownGraceMs: SHUTDOWN_GRACE_MS,
    workDir: join(node.cacheDir, 'work', safeFolderName(assignment.jobId)),
    chaos: parseChaosPlan(assignment.chaosJson),
    resourceMonitorIntervalMs: assignment.resourceMonitorIntervalMs,
  };
}

function parseJsonField(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ParajobError(`the job assignment's ${field} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Azure's logging_level names; anything unknown reads as INFO. */
function loggingLevelOf(level: string): 'DEBUG' | 'INFO' | 'WARNING' {
  const upper = level.toUpperCase();
  if (upper === 'DEBUG') return 'DEBUG';
  if (upper === 'WARNING' || upper === 'WARN' || upper === 'ERROR' || upper === 'CRITICAL') return 'WARNING';
  return 'INFO';
}

/** Job ids may hold `:` (pipeline steps); keep folder names portable. */
function safeFolderName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
