/**
 * Jobs.Rerun without gRPC: checks that the job can be rerun (it ended without succeeding, and the
 * journal knows what it did), plans what the rerun reuses (rerun-plan.ts) and accepts the rerun as a
 * new submission of the same spec and code snapshots, in a run directory of its own. Refusals are
 * SubmitRejected with the gRPC status the service answers with.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { status as GrpcStatus } from '@grpc/grpc-js';

import { JobState, JobStatus, SubmitJobRequest } from '../../gen/parajob/v1/parajob.js';
import type { CoordinatorJournal } from '../journal/coordinator-journal.js';
import type { JobAcceptedRecord } from '../journal/records.js';
import type { JobView } from './job-view.js';
import { fromScratchPlan, planRerun, type RerunPlan } from './rerun-plan.js';
import {
  acceptSubmission,
  type CompileJob,
  resumeSubmission,
  type Submission,
  type SubmissionContext,
  SubmitRejected,
} from './submission.js';

/** An accepted rerun: the new job's submission and what it reuses. */
export interface AcceptedRerun {
  readonly submission: Submission;
  readonly plan: RerunPlan;
  /** The journaled spec of the job rerun (what the new job's journal record repeats). */
  readonly earlier: JobAcceptedRecord;
}

/** Accepts a rerun of `jobId` (`earlier`: that job as the coordinator holds it); see the module comment. */
export async function acceptRerun(
  jobId: string,
  earlier: JobView | undefined,
  options: { readonly fromScratch: boolean; readonly journal: CoordinatorJournal | undefined },
  context: SubmissionContext,
): Promise<AcceptedRerun> {
  if (earlier === undefined) throw new SubmitRejected(GrpcStatus.NOT_FOUND, `no job with id ${jobId}`);
  const refusal = (text: string) =>
    new SubmitRejected(GrpcStatus.FAILED_PRECONDITION, `cannot rerun job ${jobId}: ${text}`);
  if (!earlier.isTerminal) throw refusal('it is still running (cancel it, or wait for its end)');
  // Its steps' ends (with what succeeded) are journaled just after it ended.
  await earlier.settled();
  const status = earlier.status();
  if (status.state === JobState.JOB_STATE_SUCCEEDED)
    throw refusal('it succeeded, so there is nothing to rerun (submit it again to run it anew)');
  const durable = options.journal?.state.jobs.get(jobId);
  if (options.journal === undefined || durable === undefined)
    throw refusal('this coordinator keeps no journal of it, and a rerun reads from the journal what succeeded');
  const missing = durable.accepted.codeHashes.find(([, hash]) => !existsSync(context.code.folderOf(hash)));
  if (missing !== undefined) throw refusal(`the code snapshot of ${missing[0]} is no longer in the data dir`);
  const plan = options.fromScratch
    ? fromScratchPlan(jobId)
    : planRerun({ status, compiled: (await resumeSubmission(durable.accepted, context.compile)).job, durable });
  const takenOver = [...plan.carried.values()].flatMap((step) =>
    step.appendRowFile === undefined ? [] : [resolve(step.appendRowFile)],
  );
  const request = SubmitJobRequest.fromPartial({
    specYaml: durable.accepted.specYaml,
    specPath: durable.accepted.specPath,
  });
  const submission = await acceptSubmission(request, {
    ...context,
    knownCode: new Map(durable.accepted.codeHashes),
    takenOverOutputs: takenOver,
  });
  return { submission, plan, earlier: durable.accepted };
}

/**
 * The plan of a rerun resumed after a coordinator restart, made again from the journal; from scratch
 * (for the steps it has not started yet) when the job it reruns was deleted meanwhile.
 */
export async function resumedRerunPlan(
  accepted: JobAcceptedRecord,
  journal: CoordinatorJournal,
  compile: CompileJob,
): Promise<RerunPlan | undefined> {
  const rerunOf = accepted.rerunOf;
  if (rerunOf === undefined) return undefined;
  const durable = journal.state.jobs.get(rerunOf);
  if (accepted.fromScratch === true || durable?.endedStatus === undefined) return fromScratchPlan(rerunOf);
  const compiled = (await resumeSubmission(durable.accepted, compile)).job;
  return planRerun({ status: JobStatus.fromJSON(durable.endedStatus), compiled, durable });
}
