/**
 * The coordinator without its gRPC server: the cluster actor, the jobs, the routing of node messages
 * to step runs, and the code store. The services (services.ts) are thin adapters over this.
 *
 * Routing: a node's stream refreshes its session (liveness) on its messages — at most once per
 * ACTIVITY_REFRESH_FRACTION of nodeLostAfterMs, since a busy node sends results many times a
 * millisecond and each refresh costs two machine macrosteps and a timer; lease requests, results,
 * processor events and job_left go to the step run whose wire job id they carry; command_ended and
 * command_log to the command step of that id. Node attach and loss, emitted by the cluster machine,
 * are offered / reported to every live step run and command step.
 */
import type { Logger } from 'pino';
import { type Actor, createActor } from 'xstate';

import type { JobStatus, StagedOutput } from '../gen/parajob/v1/parajob.js';
import {
  type DeleteJobResponse,
  type Heartbeat,
  type NodeMessage,
  type SubmitJobRequest,
  type SubmitJobResponse,
} from '../gen/parajob/v1/parajob.js';
import { isS3Uri } from '../storage/s3-location.js';
import type { HelloConnection } from './cluster/cluster.machine.js';
import { clusterDirectory, clusterMachine } from './cluster/cluster.machine.js';
import type { NodeDirectory, NodeInfo } from './cluster/node-directory.js';
import { CodeStore } from './code/code-store.js';
import type { CommandStepMachine } from './command-step/command-step.machine.js';
import { JobBook } from './jobs/job-book.js';
import type { JobView } from './jobs/job-view.js';
import type { SubmitLimits } from './jobs/limits.js';
import type { PathPolicy } from './jobs/path-policy.js';
import type { RetentionOptions } from './jobs/retention.js';
import type { CompileJob } from './jobs/submission.js';
import type { CoordinatorJournal } from './journal/coordinator-journal.js';
import { createRandomTokens, type TokenSource } from './ledger/decisions.js';
import { ReuseIndex } from './pipeline/reuse-index.js';
import { type ProcessorRestartListener, ProcessorRestarts } from './processor-restarts.js';
import { stagedOutputsOf } from './step-run/assignment.js';
import { stepRunEventOf } from './step-run/processor-event.js';
import type { StepRunSettings } from './step-run/settings.js';
import type { StepRunMachine } from './step-run/step-run.machine.js';
import { jobIdOfWire, WaitingResults } from './waiting-results.js';

/**
 * A node's liveness is refreshed at most once per this fraction of nodeLostAfterMs (and at most once
 * per 100 ms): a node is then deemed lost at most that much before nodeLostAfterMs of real silence.
 */
const ACTIVITY_REFRESH_FRACTION = 0.1;
const MAX_ACTIVITY_REFRESH_MS = 100;

/** Everything the core needs; startCoordinator fills the defaults. */
export interface CoordinatorCoreOptions {
  readonly dataDir: string;
  readonly heartbeatIntervalMs: number;
  readonly nodeLostAfterMs: number;
  readonly logger: Logger;
  readonly compile: CompileJob;
  readonly settings: StepRunSettings;
  /** The journal (opened and replayed); undefined: nothing survives a restart. */
  readonly journal?: CoordinatorJournal;
  /** Which host paths submissions may name (jobs/path-policy.ts). */
  readonly pathPolicy?: PathPolicy;
  /** Size and setting bounds of submissions (jobs/limits.ts). */
  readonly limits?: SubmitLimits;
  /** How long ended jobs stay in memory and on disk (jobs/retention.ts). */
  readonly retention?: RetentionOptions;
}

/** A node's stream as the core sees it: a connection that knows its node id once registered. */
export interface NodeStream extends HelloConnection {
  readonly nodeId: string | undefined;
}

/** The coordinator's state and routing, independent of the gRPC server (see the module comment). */
export class CoordinatorCore {
  readonly code: CodeStore;
  private readonly cluster: Actor<typeof clusterMachine>;
  private readonly directory: NodeDirectory;
  private readonly book: JobBook;
  private readonly stepRuns = new Map<string, Actor<StepRunMachine>>();
  /** Results of a live job whose step run has not registered yet (waiting-results.ts). */
  private readonly waitingResults = new WaitingResults();
  private readonly tokens: TokenSource;
  private readonly commandSteps = new Map<string, Actor<CommandStepMachine>>();
  private readonly logger: Logger;
  /** When each stream last refreshed its node's session (Date.now()). */
  private readonly lastActivityMs = new WeakMap<NodeStream, number>();
  private readonly activityRefreshMs: number;
  private stopped = false;
  /** Who hears each accepted attempt's timing (the web UI's /metrics). */
  private readonly attemptListeners = new Set<(roundTripMs: number, runMs: number) => void>();
  private readonly processorRestarts = new ProcessorRestarts();
  /** Each node's last heartbeat (what it runs, its host sample), for the web UI. */
  private readonly heartbeats = new Map<string, Heartbeat>();

  constructor(options: CoordinatorCoreOptions) {
    this.logger = options.logger;
    // Unguessable tokens (a result is fenced by its token); across a restart a new token equals an old one
    // of the same mini-batch with probability 2^-53, so the journal need not reserve ranges.
    this.tokens = createRandomTokens();
    this.activityRefreshMs = Math.min(MAX_ACTIVITY_REFRESH_MS, options.nodeLostAfterMs * ACTIVITY_REFRESH_FRACTION);
    this.code = new CodeStore(options.dataDir);
    this.cluster = createActor(clusterMachine, {
      input: {
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        nodeLostAfterMs: options.nodeLostAfterMs,
        logger: options.logger,
      },
    });
    this.cluster.subscribe({ error: (error) => this.logger.fatal({ err: error }, 'cluster actor crashed') });
    this.cluster.on('node.attached', ({ node }) => {
      for (const stepRun of this.stepRuns.values()) stepRun.send({ type: 'node.offered', node });
      for (const command of this.commandSteps.values()) command.send({ type: 'node.offered', node });
    });
    this.cluster.on('node.lost', ({ nodeId, reason }) => {
      this.heartbeats.delete(nodeId);
      for (const stepRun of this.stepRuns.values()) stepRun.send({ type: 'node.lost', nodeId, reason });
      for (const command of this.commandSteps.values()) command.send({ type: 'node.lost', nodeId, reason });
    });
    this.cluster.start();
    this.directory = clusterDirectory(() => this.cluster.getSnapshot().context.registry);
    this.book = new JobBook({
      ...options,
      code: this.code,
      runDeps: {
        nodes: this.directory,
        tokens: this.tokens,
        rootLogger: this.logger,
        settings: options.settings,
        registry: {
          register: (wireJobId, actor) => {
            this.stepRuns.set(wireJobId, actor);
            // Handed over once the actor has started (it is started right after it registers).
            for (const { nodeId, results } of this.waitingResults.take(wireJobId))
              queueMicrotask(() => actor.send({ type: 'results.received', nodeId, results }));
          },
          unregister: (wireJobId) => {
            this.processorRestarts.forget(wireJobId);
            this.stepRuns.delete(wireJobId);
          },
          registerCommand: (wireJobId, actor) => this.commandSteps.set(wireJobId, actor),
          unregisterCommand: (wireJobId) => this.commandSteps.delete(wireJobId),
        },
        reuse: new ReuseIndex(options.dataDir),
        pickCommandNode: (candidates) => this.leastLoaded(candidates),
        // A lost node kills its command once out of touch for nodeLostAfterMs (its Welcome says so); as
        // long again is the margin for the node noticing later than this coordinator (a busy machine).
        commandFenceMs: 2 * options.nodeLostAfterMs,
        journal: options.journal,
        onAttempt: (roundTripMs, runMs) => {
          for (const listener of this.attemptListeners) listener(roundTripMs, runMs);
        },
      },
    });
  }

  /** Accepts a submission and starts the job (see jobs/submission.ts for the refusals). */
  submit(request: SubmitJobRequest): Promise<SubmitJobResponse> {
    return this.book.submit(request);
  }

  /** Reruns an ended job as a new one (see jobs/rerun.ts for what it reuses and the refusals). */
  rerun(jobId: string, fromScratch: boolean): Promise<SubmitJobResponse> {
    return this.book.rerun(jobId, fromScratch);
  }

  /** Forgets an ended job (see JobBook.delete). */
  delete(jobId: string): Promise<DeleteJobResponse> {
    return this.book.delete(jobId);
  }

  /** Brings back every job of the journal (see JobBook.resumeJournaledJobs). */
  resumeJournaledJobs(): Promise<void> {
    return this.book.resumeJournaledJobs();
  }

  /** A job by id. */
  job(jobId: string): JobView | undefined {
    return this.book.job(jobId);
  }

  /** Every job, oldest first. */
  allJobs(): JobView[] {
    return this.book.allJobs();
  }

  /** Cancels a job (no-op when it has ended); undefined when there is no such job. */
  cancel(jobId: string, reason: string): JobStatus | undefined {
    return this.book.cancel(jobId, reason);
  }

  /** The candidate running the fewest command runs now (the first of those on a tie). */
  private leastLoaded(candidates: readonly NodeInfo[]): NodeInfo | undefined {
    const load = new Map<string, number>();
    for (const command of this.commandSteps.values()) {
      const snapshot = command.getSnapshot();
      const nodeId = snapshot.context.nodeId;
      if (nodeId !== undefined && snapshot.status === 'active') load.set(nodeId, (load.get(nodeId) ?? 0) + 1);
    }
    let best: NodeInfo | undefined;
    for (const node of candidates) {
      if (best === undefined || (load.get(node.nodeId) ?? 0) < (load.get(best.nodeId) ?? 0)) best = node;
    }
    return best;
  }

  /** The ids of the live nodes (for tests and diagnostics). */
  liveNodeIds(): string[] {
    return this.directory.liveNodes().map((node) => node.nodeId);
  }

  /** The live nodes, in attach order. */
  liveNodes(): readonly NodeInfo[] {
    return this.directory.liveNodes();
  }

  /** Adds a listener of processor restarts (processor-restarts.ts); returns its removal. */
  onProcessorRestart(listener: ProcessorRestartListener): () => void {
    return this.processorRestarts.on(listener);
  }

  /** Adds a listener of accepted attempts' timings (lease round trip, run()); returns its removal. */
  onAttempt(listener: (roundTripMs: number, runMs: number) => void): () => void {
    this.attemptListeners.add(listener);
    return () => this.attemptListeners.delete(listener);
  }

  /**
   * The local input paths of step run `jobId` (wire id) when live node `nodeId`, registered with the
   * credential `owner`, serves it now: what Inputs.Read may serve that node. Undefined otherwise.
   */
  inputRootsServedTo(nodeId: string, owner: string, jobId: string): readonly string[] | undefined {
    const node = this.cluster.getSnapshot().context.registry.get(nodeId);
    if (node === undefined || (node.connection.owner ?? '') !== owner) return undefined;
    const stepRun = this.stepRuns.get(jobId)?.getSnapshot().context;
    if (stepRun === undefined || !stepRun.run.nodes.has(nodeId)) return undefined;
    return stepRun.step.inputs.flatMap((input) => (input.kind === 'data' && !isS3Uri(input.path) ? [input.path] : []));
  }

  /** The staged outputs of step run `jobId` when live node `nodeId` (credential `owner`) serves it: what Inputs.WriteOutput may write. */
  stagedOutputsServedTo(nodeId: string, owner: string, jobId: string): readonly StagedOutput[] | undefined {
    if (this.inputRootsServedTo(nodeId, owner, jobId) === undefined) return undefined;
    const stepRun = this.stepRuns.get(jobId)?.getSnapshot().context;
    return stepRun === undefined ? undefined : stagedOutputsOf(stepRun.step);
  }

  /** A live node's last heartbeat; undefined before its first. */
  lastHeartbeat(nodeId: string): Heartbeat | undefined {
    return this.heartbeats.get(nodeId);
  }

  /** One message from a node's stream. */
  nodeMessage(stream: NodeStream, message: NodeMessage): void {
    const kind = message.kind;
    if (kind === undefined || this.stopped) return;
    const nodeId = stream.nodeId;
    if (kind.$case === 'hello') {
      if (nodeId !== undefined) this.logger.warn({ nodeId }, 'second hello on a stream ignored');
      else this.cluster.send({ type: 'node.hello', hello: kind.value, connection: stream });
      return;
    }
    if (nodeId === undefined) {
      this.logger.warn({ kind: kind.$case }, 'message before hello: stream closed');
      stream.close();
      return;
    }
    const now = Date.now();
    if (now - (this.lastActivityMs.get(stream) ?? 0) >= this.activityRefreshMs) {
      this.lastActivityMs.set(stream, now);
      this.cluster.send({ type: 'node.activity', nodeId, connection: stream });
    }
    switch (kind.$case) {
      case 'heartbeat':
        this.heartbeats.set(nodeId, kind.value);
        return;
      case 'leaseRequest': {
        const stepRun = this.stepRuns.get(kind.value.jobId);
        if (stepRun !== undefined) stepRun.send({ type: 'lease.requested', nodeId, count: kind.value.count });
        // A node asking for work of a job that is over (e.g. after a reconnect) is told to stop.
        else
          stream.send({
            kind: { $case: 'release', value: { jobId: kind.value.jobId, reason: 'unknown or finished job' } },
          });
        return;
      }
      case 'results': {
        const stepRun = this.stepRuns.get(kind.value.jobId);
        const { jobId, results } = kind.value;
        if (stepRun !== undefined) stepRun.send({ type: 'results.received', nodeId, results });
        else if (this.book.job(jobIdOfWire(jobId))?.isTerminal === false)
          this.waitingResults.keep(jobId, { nodeId, results });
        else {
          // Nothing will ever count them (the job is over or unknown): acknowledged, so the node forgets them.
          this.logger.debug({ nodeId, jobId, count: results.length }, 'results for a finished job dropped');
          const tokens = results.map((result) => result.token);
          stream.send({ kind: { $case: 'resultsAck', value: { jobId, tokens } } });
        }
        return;
      }
      case 'processorEvent': {
        // Typed once, here, where it enters the coordinator: the step run has one event per kind.
        const event = stepRunEventOf(nodeId, kind.value);
        const stepRun = this.stepRuns.get(kind.value.jobId);
        if (event !== undefined) {
          stepRun?.send(event);
          if (stepRun !== undefined) this.processorRestarts.heard(kind.value.jobId, event);
        } else
          this.logger.debug(
            { nodeId, jobId: kind.value.jobId, kind: kind.value.kind },
            'unknown processor event dropped',
          );
        return;
      }
      case 'jobLeft':
        this.stepRuns.get(kind.value.jobId)?.send({ type: 'node.left', nodeId, reason: kind.value.reason });
        return;
      case 'commandEnded':
        this.commandSteps.get(kind.value.jobId)?.send({ type: 'command.ended', nodeId, ended: kind.value });
        return;
      case 'commandLog':
        this.commandSteps
          .get(kind.value.jobId)
          ?.send({ type: 'command.log', nodeId, attempt: kind.value.attempt, text: kind.value.text });
        return;
    }
  }

  /** A node's stream ended or failed: the node is lost (if the stream was still its current one). */
  nodeStreamEnded(stream: NodeStream, reason: string): void {
    if (stream.nodeId !== undefined && !this.stopped)
      this.cluster.send({ type: 'node.disconnected', nodeId: stream.nodeId, connection: stream, reason });
  }

  /**
   * Stops every actor and ends every node stream (jobs still running stay unfinished: the coordinator
   * is going away; nodes see their stream end and reconnect to the next one).
   */
  stop(): void {
    this.stopped = true;
    this.book.stop();
    for (const stepRun of this.stepRuns.values()) stepRun.stop();
    this.stepRuns.clear();
    for (const command of this.commandSteps.values()) command.stop();
    this.commandSteps.clear();
    const registry = this.cluster.getSnapshot().context.registry;
    for (const node of registry.values()) node.connection.close();
    this.cluster.stop();
  }
}
