/**
 * `logs/readme.txt`: what every file of a step's log folder is (Azure's error text sends users there:
 * "You can check logs/readme.txt for the layout of logs").
 */

/** The readme text for a step run of `jobId`. */
export function logsReadmeText(jobId: string): string {
  return `Logs of parajob job ${jobId}
${'='.repeat(22 + jobId.length)}

Start with job_result.txt: it says whether the job succeeded and, if not, why and where to look next.

job_result.txt            The result in one sentence; on failure the reason and the file to read first.
job_error.txt             Errors of the entry script and the workers, grouped by kind, with counts and
                          the first examples (written only when there were errors).
job_progress_overview.txt How scheduling and processing went: a line every few seconds with the
                          mini-batches processed and the estimated remaining time.
sys/master_role.txt       The coordinator's log of this job (JSON lines): nodes joining and leaving,
                          scheduling, thresholds, timeouts, the result.
sys/job_report/processed_mini-batches.csv
                          One row per attempt of a mini-batch: node, process, start time, item counts,
                          durations, status (RUN_DONE, RUN_EXCEPTION, RUN_TIMEOUT, LOAD_TIMEOUT,
                          WORKER_CRASHED, RETURNED, REVOKED) and the error; a RUN_DONE row whose
                          run() returned fewer or more items than given says FewerItems/TooManyItems.
sys/job_report/summary.json
                          The result, counts and times, machine-readable.
sys/node/<node>/_main.txt The node's log of this job (JSON lines): workers started, exited, restarted.
sys/node/<node>/<process>.txt
                          Per-mini-batch detail written by each processor.
user/stdout/<node>/<process>.stdout.txt, user/stderr/<node>/<process>.stderr.txt
                          What the entry script printed.
user/entry_script_log/<node>/<process>.log.txt
                          The entry script's logger (EntryScript().logger).
user/error/<node>/<process>.txt
                          Full stack traces of exceptions raised by init() and run().

The append_row output file is emptied when the job starts and fsync'd before the job succeeds;
each mini-batch's rows are in it exactly once (the order across mini-batches is not guaranteed).
`;
}
