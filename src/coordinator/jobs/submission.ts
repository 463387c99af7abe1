/**
 * Jobs.Submit without gRPC: parse and compile the spec, check and store the code snapshots, create
 * the run directory with a copy of the spec. Every refusal is a SubmitRejected carrying the gRPC status
 * the service answers with and a message for the user (a spec's errors all at once, one per line).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

import { status } from '@grpc/grpc-js';

import { parseChaosPlan } from '../../chaos/model.js';
import { takeSnapshot } from '../../code/snapshot.js';
import { ParajobError } from '../../errors.js';
import type { SubmitJobRequest } from '../../gen/parajob/v1/parajob.js';
import type { CompiledJob } from '../../jobspec/model.js';
import { stepCodeFolder } from '../../jobspec/steps.js';
import { YamlSource } from '../../jobspec/yaml-source.js';
import { runDirLayout } from '../../log/layout.js';
import type { CodeStore } from '../code/code-store.js';
import { checkClientJobId, makeJobId } from './job-id.js';
import { DEFAULT_SUBMIT_LIMITS, jobLimitRefusals, requestLimitRefusals, type SubmitLimits } from './limits.js';
import { outputPathsOf, type PathPolicy, pathRefusals } from './path-policy.js';

/** Compiles a parsed spec for a run directory (src/jobspec/load.ts compileJobSpec, or a test double). */
export type CompileJob = (
  source: YamlSource,
  options: { readonly runDir: string },
) => CompiledJob | Promise<CompiledJob>;

/** A submission refused, with the gRPC status code to answer with. */
export class SubmitRejected extends ParajobError {
  override readonly name = 'SubmitRejected';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** An accepted submission, ready to run. */
export interface Submission {
  readonly jobId: string;
  readonly runDir: string;
  readonly job: CompiledJob;
  /** Code snapshot hash by absolute `task.code` folder. */
  readonly codeHashes: ReadonlyMap<string, string>;
  readonly warnings: readonly string[];
  /** Fault injection for the job's run() calls (src/chaos/model.ts text form), '' for none. */
  readonly chaos: string;
  /**
   * No step of this job is reused or offered for reuse: fault injection is on. (A job that asks to
   * run every step says so in its spec, settings.force_rerun, which the journal keeps with it.)
   */
  readonly noReuse: boolean;
}

/** What acceptSubmission needs from the coordinator. */
export interface SubmissionContext {
  readonly dataDir: string;
  readonly compile: CompileJob;
  readonly code: CodeStore;
  /** True when a job with this id exists already. */
  readonly jobExists: (jobId: string) => boolean;
  /** Size and setting bounds (limits.ts). @default DEFAULT_SUBMIT_LIMITS */
  readonly limits?: SubmitLimits;
  /** Which host paths clients may name (path-policy.ts). @default no roots enforced */
  readonly pathPolicy?: PathPolicy;
  /** A live job already writing one of `paths` (or a folder holding one), as `<job id>: <path>`. */
  readonly outputsInUse?: (paths: readonly string[]) => string | undefined;
  /**
   * The coordinator's registered components (`<data dir>/assets/components`): a step's code folder
   * under it is a registered component's snapshot, which the coordinator snapshots itself, since a
   * client on another machine cannot. @default `<dataDir>/assets/components`
   */
  readonly registeredCodeRoot?: string;
  /**
   * Code snapshots the coordinator holds already, by absolute code folder: a rerun sends none and runs
   * the code its earlier job ran.
   */
  readonly knownCode?: ReadonlyMap<string, string>;
  /** Output files a rerun takes over from the job it reruns: they may exist (path-policy.ts). */
  readonly takenOverOutputs?: readonly string[];
}

/** Checks, compiles and stores a SubmitJobRequest (see the module comment). */
export async function acceptSubmission(request: SubmitJobRequest, context: SubmissionContext): Promise<Submission> {
  if (request.specPath === '')
    throw new SubmitRejected(status.INVALID_ARGUMENT, 'spec_path is empty: send the absolute path of the job YAML');
  const limits = context.limits ?? DEFAULT_SUBMIT_LIMITS;
  const tooBig = requestLimitRefusals(request, limits);
  if (tooBig.length > 0) throw new SubmitRejected(status.RESOURCE_EXHAUSTED, tooBig.join('\n'));
  const source = parseSpec(request.specPath, request.specYaml);
  const jobId = request.jobId || makeJobId(nameOf(source));
  if (request.jobId) {
    const problem = checkClientJobId(request.jobId);
    if (problem !== undefined) throw new SubmitRejected(status.INVALID_ARGUMENT, problem);
  }
  const chaos = request.chaos.trim();
  if (chaos !== '') {
    try {
      parseChaosPlan(chaos);
    } catch (error) {
      throw new SubmitRejected(status.INVALID_ARGUMENT, (error as Error).message);
    }
  }
  if (context.jobExists(jobId))
    throw new SubmitRejected(status.ALREADY_EXISTS, `a job with id ${jobId} exists already`);
  const runDir = resolve(request.runDir || resolve(context.dataDir, 'runs', jobId));

  const job = await compileSpec(context.compile, source, runDir);
  const refusals = [
    ...jobLimitRefusals(job, limits),
    ...pathRefusals(job, runDir, context.pathPolicy ?? { allowedRoots: undefined }, context.takenOverOutputs),
  ];
  if (refusals.length > 0) throw new SubmitRejected(status.INVALID_ARGUMENT, refusals.join('\n'));
  const inUse = context.outputsInUse?.(outputPathsOf(job));
  if (inUse !== undefined)
    throw new SubmitRejected(status.FAILED_PRECONDITION, `an output is in use by a running job (${inUse})`);
  const codeHashes = await storeCode(
    request,
    job,
    context.code,
    context.registeredCodeRoot ?? resolve(context.dataDir, 'assets', 'components'),
    context.knownCode,
  );

  const layout = runDirLayout(runDir);
  await mkdir(layout.logs, { recursive: true });
  await writeFile(layout.specCopy, request.specYaml);
  const warnings =
    chaos === ''
      ? job.warnings
      : [...job.warnings, `fault injection is on for this job (chaos "${chaos}"): expect failures`];
  return { jobId, runDir, job, codeHashes, warnings, chaos, noReuse: chaos !== '' };
}

/** What the journal keeps of a submission to run it again after a restart. */
export interface JournaledSubmission {
  readonly jobId: string;
  readonly specPath: string;
  readonly specYaml: string;
  readonly runDir: string;
  readonly chaos: string;
  readonly codeHashes: readonly (readonly [string, string])[];
  readonly warnings: readonly string[];
}

/**
 * A journaled submission, compiled again for a coordinator that restarted: its code snapshots are in
 * the code store already and its run directory exists. Throws SubmitRejected when the spec no longer
 * compiles (its input vanished while the coordinator was down).
 */
export async function resumeSubmission(journaled: JournaledSubmission, compile: CompileJob): Promise<Submission> {
  const source = parseSpec(journaled.specPath, journaled.specYaml);
  const job = await compileSpec(compile, source, journaled.runDir);
  return {
    jobId: journaled.jobId,
    runDir: journaled.runDir,
    job,
    codeHashes: new Map(journaled.codeHashes),
    warnings: journaled.warnings,
    chaos: journaled.chaos,
    // As when it was submitted: its spec (force_rerun included) and chaos plan are journaled.
    noReuse: journaled.chaos !== '',
  };
}

function parseSpec(specPath: string, text: string): YamlSource {
  try {
    return YamlSource.parse(specPath, text);
  } catch (error) {
    throw asRejection(error);
  }
}

async function compileSpec(compile: CompileJob, source: YamlSource, runDir: string): Promise<CompiledJob> {
  try {
    return await compile(source, { runDir });
  } catch (error) {
    throw asRejection(error);
  }
}

/**
 * Spec and input errors are the user's to fix (INVALID_ARGUMENT, full message); anything else is ours,
 * reported as `<doing> failed: <error>` so the message says which step of the submission broke.
 */
function asRejection(error: unknown, doing = 'compiling the job'): SubmitRejected {
  if (error instanceof ParajobError) return new SubmitRejected(status.INVALID_ARGUMENT, error.message);
  return new SubmitRejected(
    status.INTERNAL,
    `${doing} failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** The spec's `name`, if it has one (the job id is made before compiling, which needs the run dir). */
function nameOf(source: YamlSource): string | undefined {
  const raw = source.toJS();
  if (typeof raw !== 'object' || raw === null) return undefined;
  const name = (raw as Record<string, unknown>).name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Verifies and stores every snapshot, and maps each step's task.code to its snapshot. A step whose
 * code folder has no snapshot is refused, naming the step and the folder, unless that folder is a
 * registered component's code under `registeredCodeRoot`: that one is snapshotted here.
 */
async function storeCode(
  request: SubmitJobRequest,
  job: CompiledJob,
  store: CodeStore,
  registeredCodeRoot: string,
  knownCode: ReadonlyMap<string, string> = new Map(),
): Promise<Map<string, string>> {
  const bySource = new Map<string, string>();
  for (const snapshot of request.code) {
    try {
      await store.store(snapshot);
    } catch (error) {
      // A write error here (disk full, permissions) is not a compile error: say where it happened.
      throw asRejection(
        error,
        `storing the code snapshot of ${snapshot.sourceDir} under the coordinator's data folder`,
      );
    }
    bySource.set(resolve(snapshot.sourceDir), snapshot.hash);
  }
  const codeHashes = new Map<string, string>();
  for (const step of job.steps) {
    const folder = stepCodeFolder(step);
    if (folder === undefined) continue;
    const hash =
      bySource.get(resolve(folder)) ??
      knownCode.get(folder) ??
      (await registeredSnapshot(folder, registeredCodeRoot, store));
    if (hash === undefined) {
      const sent = [...bySource.keys()].join(', ') || 'none';
      throw new SubmitRejected(
        status.INVALID_ARGUMENT,
        `step '${step.name}': no code snapshot was sent for its ${step.kind === 'parallel' ? 'task.code' : 'code'} folder ${folder} (snapshots sent for: ${sent})`,
      );
    }
    codeHashes.set(folder, hash);
  }
  return codeHashes;
}

/** Snapshots and stores a registered component's code folder; undefined for any other folder. */
async function registeredSnapshot(folder: string, root: string, store: CodeStore): Promise<string | undefined> {
  const inside = relative(root, resolve(folder));
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
  try {
    const snapshot = await takeSnapshot(folder);
    await store.store(snapshot);
    return snapshot.hash;
  } catch (error) {
    throw asRejection(error, `snapshotting the registered component code ${folder}`);
  }
}
