/**
 * The layout of a step's run directory and its log folder, with Azure's names (SPEC.md 6.2) so that a
 * user who knows Azure finds their way. The coordinator writes the job-level files; nodes write the
 * per-process files under the same `logs/` folder (shared filesystem).
 */
import { join } from 'node:path';

/** Files and folders directly under a step's run directory. */
export function runDirLayout(runDir: string) {
  const logs = join(runDir, 'logs');
  return {
    runDir,
    /** The submitted YAML, as written. */
    specCopy: join(runDir, 'spec.yml'),
    outputs: join(runDir, 'outputs'),
    logs,
    ...logDirLayout(logs),
  } as const;
}

/** Files under a `logs/` folder. */
export function logDirLayout(logs: string) {
  return {
    readme: join(logs, 'readme.txt'),
    jobResult: join(logs, 'job_result.txt'),
    jobError: join(logs, 'job_error.txt'),
    progressOverview: join(logs, 'job_progress_overview.txt'),
    /** One row per mini-batch attempt. */
    processedMiniBatchesCsv: join(logs, 'sys', 'job_report', 'processed_mini-batches.csv'),
    nodeSummaryCsv: join(logs, 'sys', 'job_report', 'node_summary.csv'),
    /** Machine-readable end-of-job summary (JSON). */
    summaryJson: join(logs, 'sys', 'job_report', 'summary.json'),
    /** The coordinator's pino log for this job. */
    masterRole: join(logs, 'sys', 'master_role.txt'),
    /** A node's pino log for this job. */
    nodeMain: (nodeId: string) => join(logs, 'sys', 'node', nodeId, '_main.txt'),
    /** Per-mini-batch detail written by a processor. */
    processorDetail: (nodeId: string, processName: string) => join(logs, 'sys', 'node', nodeId, `${processName}.txt`),
    userEntryScriptLog: (nodeId: string, processName: string) =>
      join(logs, 'user', 'entry_script_log', nodeId, `${processName}.log.txt`),
    userStdout: (nodeId: string, processName: string) =>
      join(logs, 'user', 'stdout', nodeId, `${processName}.stdout.txt`),
    userStderr: (nodeId: string, processName: string) =>
      join(logs, 'user', 'stderr', nodeId, `${processName}.stderr.txt`),
    userError: (nodeId: string, processName: string) => join(logs, 'user', 'error', nodeId, `${processName}.txt`),
  } as const;
}

/** `process000`, `process001`, ... (Azure's process names). */
export function processName(index: number): string {
  return `process${String(index).padStart(3, '0')}`;
}
