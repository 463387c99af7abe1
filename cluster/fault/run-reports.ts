/**
 * Readers of a job's run-directory reports, typed for assertions: the processed_mini-batches.csv
 * attempts, summary.json, job_result.txt, job_error.txt and the coordinator's master_role.txt.
 */
import { readFile } from 'node:fs/promises';

import { parse } from 'csv-parse/sync';

import { runDirLayout } from '../../src/log/layout.js';

/** One row of processed_mini-batches.csv. */
export interface AttemptRecord {
  readonly miniBatchId: number;
  readonly attempt: number;
  readonly node: string;
  readonly process: string;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly status: string;
  readonly errorCategory: string;
  readonly errorMessage: string;
}

/** The attempts of the CSV, in file order. */
export async function readAttempts(runDir: string): Promise<AttemptRecord[]> {
  const rows = parse(await readFile(runDirLayout(runDir).processedMiniBatchesCsv, 'utf8'), { columns: true }) as Record<
    string,
    string
  >[];
  return rows.map((row) => ({
    miniBatchId: Number(row['Mini-batch Id']),
    attempt: Number(row['Attempt']),
    node: row['Node'] ?? '',
    process: row['Process'] ?? '',
    total: Number(row['Total']),
    succeeded: Number(row['Succeeded']),
    failed: Number(row['Failed']),
    status: row['Status'] ?? '',
    errorCategory: row['Error Category'] ?? '',
    errorMessage: row['Error Message'] ?? '',
  }));
}

/** summary.json, loosely typed: the fields fault tests look at. */
export interface RunSummary {
  readonly state: string;
  readonly failureKind: string;
  readonly reason: string;
  readonly miniBatches: { readonly total: number; readonly succeeded: number; readonly failed: number };
  readonly items: { readonly total: number; readonly succeeded: number; readonly failed: number };
  readonly failedAttempts: number;
  readonly retries: number;
  readonly droppedResults: number;
  readonly attemptFailuresByKind: Readonly<Record<string, number>>;
  readonly fewerItems: { readonly miniBatches: number; readonly items: number };
  readonly tooManyItems: { readonly miniBatches: number; readonly items: number };
}

export async function readSummary(runDir: string): Promise<RunSummary> {
  return JSON.parse(await readFile(runDirLayout(runDir).summaryJson, 'utf8')) as RunSummary;
}

/** logs/job_result.txt. */
export function readJobResult(runDir: string): Promise<string> {
  return readFile(runDirLayout(runDir).jobResult, 'utf8');
}

/** logs/job_error.txt, '' when the job had no errors. */
export async function readJobError(runDir: string): Promise<string> {
  return readFile(runDirLayout(runDir).jobError, 'utf8').catch(() => '');
}

/** logs/sys/master_role.txt as parsed pino lines. */
export async function readMasterLog(runDir: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(runDirLayout(runDir).masterRole, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The coordinator's "late result dropped (fencing)" log lines of a run (each names nodeId, miniBatchId, reason). */
export async function readDroppedResults(runDir: string): Promise<Record<string, unknown>[]> {
  return (await readMasterLog(runDir)).filter((line) => line['msg'] === 'late result dropped (fencing)');
}
