/**
 * Types of the step-run machine: its input, events, emitted events and context. The context holds a
 * mutable `run` object (the ledger, the serving nodes, counters) that the machine's actions change in
 * place: the ledger is too large to copy per event, and the rest lives with it for one source of truth.
 * XState's own context fields (sinks, the partition) are set with assign.
 */
import type { Logger } from 'pino';

import type { BatchResult, CoordinatorMessage } from '../../gen/parajob/v1/parajob.js';
import type { CompiledParallelStep } from '../../jobspec/model.js';
import type { NodeDirectory, NodeInfo } from '../cluster/node-directory.js';
import type { StepRunJournal } from '../journal/step-run-journal.js';
import type { TokenSource } from '../ledger/decisions.js';
import type { Ledger } from '../ledger/ledger.js';
import type { AssignmentInput } from '../partition/assignment-input.js';
import type { Partition } from '../partition/partition-input.js';
import { ErrorDigest } from '../reports/error-digest.js';
import { FencingLog } from './fencing-log.js';
import type { StepOutcome } from './outcome.js';
import { ProgressRate } from './progress-rate.js';
import type { StepRunSettings } from './settings.js';
import type { StepSinks } from './sinks.js';

/** What a step run needs from the coordinator around it. */
export interface StepRunDeps {
  readonly nodes: NodeDirectory;
  readonly tokens: TokenSource;
  /** The step's logger (writes logs/sys/master_role.txt), bound to jobId. */
  readonly logger: Logger;
  /** Hash of the code snapshot of step.task.code. */
  readonly codeHash: string;
  readonly settings: StepRunSettings;
  /** The job's chaos plan for run() calls (src/chaos/model.ts), sent to nodes in the assignment; '' or undefined for none. */
  readonly chaos?: string;
  /** Where the step run's ledger events go to survive a coordinator crash; undefined: not journaled (tests). */
  readonly journal?: StepRunJournal;
  /** Hears each accepted attempt's lease round trip (grant → result) and run() time, in ms (/metrics). */
  readonly onAttempt?: (roundTripMs: number, runMs: number) => void;
}

/** The input of a step-run actor. */
export interface StepRunInput {
  /** Wire job id: the job id, or `<jobId>:<step>` in a pipeline of several steps. */
  readonly jobId: string;
  /** The job's name (for assignments and messages). */
  readonly jobName: string;
  readonly step: CompiledParallelStep;
  readonly deps: StepRunDeps;
}

/** A node serving the step run. */
export interface ServingNode {
  readonly info: NodeInfo;
  /** Leases the node asked for and has not been granted yet. */
  credit: number;
}

/** The mutable working data of a step run (see the module comment). */
export interface StepRunState {
  ledger: Ledger | undefined;
  readonly nodes: Map<string, ServingNode>;
  /** Nodes that left the job (job_left): not offered it again. */
  readonly leftNodes: Set<string>;
  /** Every node that served the step run at some point (for the summary). */
  readonly everServed: Set<string>;
  /** Lease requests of nodes not (yet) serving the run, by node id: a taken node starts with them. */
  readonly creditBeforeTaken: Map<string, number>;
  /** Nodes sent `release` that have not yet left (finishing waits for them). */
  readonly releasing: Set<string>;
  grantedAny: boolean;
  /** Rotates which node with credit is served first, so re-queued work spreads over nodes. */
  grantCursor: number;
  /** Milliseconds since the epoch. */
  readonly startedAtMs: number;
  scheduledAtMs: number | undefined;
  /** True when the ledger was reopened from the journal after a coordinator restart. */
  resumedOnRestart: boolean;
  /** Leases of a resumed run waiting for their node to claim them: mini-batch id → token (lease-reclaim.ts). */
  readonly unclaimedLeases: Map<number, number>;
  /**
   * Results that arrived before the ledger existed (a node re-sending unacknowledged results to a
   * coordinator that restarted and is cutting the input again): taken once the ledger exists.
   */
  readonly heldResults: { readonly nodeId: string; readonly results: readonly BatchResult[] }[];
  runningSinceMs: number | undefined;
  /** Last accepted result (progress = any accepted result). */
  lastProgressAtMs: number;
  /** Results dropped by fencing. */
  droppedResults: number;
  /** Their log lines, bounded. */
  readonly fencingLog: FencingLog;
  outcome: StepOutcome | undefined;
  readonly errors: ErrorDigest;
  readonly rate: ProgressRate;
  /** The last "waiting for nodes" message sent, so it is sent once per change. */
  lastNodeWaitText: string | undefined;
  /** Messages for nodes kept by an action for the machine's sendToNodes action right after it. */
  readonly outgoing: NodeMail[];
}

/** The step-run machine's context: fixed input, the mutable `run`, and what its actors produced. */
export interface StepRunContext {
  readonly jobId: string;
  readonly jobName: string;
  readonly step: CompiledParallelStep;
  readonly deps: StepRunDeps;
  readonly run: StepRunState;
  readonly sinks: StepSinks | undefined;
  readonly partition: Partition | undefined;
  /**
   * The assignment's input settings, known once the partitioning probed the input (before it is cut):
   * from then on nodes are taken and start their workers, though leases wait for the ledger.
   */
  readonly assignmentInput: AssignmentInput | undefined;
}

/** Events a step run receives (from the coordinator's routing, the cluster, or its own ticker). */
export type StepRunEvent =
  /** A live node the run may take (any compute: the run checks). */
  | { readonly type: 'node.offered'; readonly node: NodeInfo }
  /** The node's stream ended or it went silent: its leases are re-queued. */
  | { readonly type: 'node.lost'; readonly nodeId: string; readonly reason: string }
  /** job_left: the node stopped serving this step run. */
  | { readonly type: 'node.left'; readonly nodeId: string; readonly reason: string }
  | { readonly type: 'lease.requested'; readonly nodeId: string; readonly count: number }
  | { readonly type: 'results.received'; readonly nodeId: string; readonly results: readonly BatchResult[] }
  /** A node's processor event, typed per kind where it entered the coordinator (processor-event.ts). */
  | StepRunProcessorEvent
  | { readonly type: 'job.cancel'; readonly reason: string }
  /** From the overview ticker while running. */
  | { readonly type: 'progress.tick' }
  /** The output files' write queues drained after a backlog (sinks.ts): leasing resumes. */
  | { readonly type: 'output.drained' }
  /** The reclaim window of a resumed run is over (lease-reclaim.ts). */
  | { readonly type: 'leases.reclaimDue' }
  /** From the partitionInput actor: the input is probed, nodes may be assigned while it is cut. */
  | { readonly type: 'partition.probed'; readonly input: AssignmentInput };

/** What every processor event says about its processor (the proto's ProcessorEvent, minus its kind). */
export interface ProcessorFacts {
  readonly nodeId: string;
  readonly processName: string;
  readonly pid: number;
  readonly message: string;
  readonly exitCode: number;
  readonly signal: string;
}

/** The processor event kinds a step run tells apart, one event type each. */
export type ProcessorEventType =
  | 'processor.ready'
  | 'processor.initFailed'
  | 'processor.invalid'
  | 'processor.exited'
  | 'processor.escalated'
  | 'processor.stopped';

/** A processor event as the step run receives it (a union over the types, so each narrows on its own). */
export type StepRunProcessorEvent = {
  readonly [T in ProcessorEventType]: { readonly type: T } & ProcessorFacts;
}[ProcessorEventType];

/** A line worth a user's attention (forwarded to Watch as a JobMessage). */
export interface StepRunMessage {
  readonly type: 'step.message';
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
  readonly atMs: number;
}

/** A message for one node's stream. */
export interface NodeMail {
  readonly nodeId: string;
  readonly message: CoordinatorMessage;
}

/**
 * What the work behind the machine's actions (serving-nodes.ts, leasing.ts) leaves for the machine to
 * do: the messages to send to nodes, in order, and the lines to emit for Watch. The machine's
 * `sendToNodes` action sends the mail; the lines are emitted.
 */
export interface StepEffects {
  readonly mail: NodeMail[];
  readonly said: StepRunMessage[];
}

/** An empty StepEffects to collect into. */
export function newStepEffects(): StepEffects {
  return { mail: [], said: [] };
}

/** A StepRunMessage stamped now. */
export function stepMessage(level: StepRunMessage['level'], text: string): StepRunMessage {
  return { type: 'step.message', level, text, atMs: Date.now() };
}

/** What a finished step-run actor outputs. */
export type StepRunOutput = StepOutcome;

/** A fresh working state. */
export function createStepRunState(nowMs: number): StepRunState {
  return {
    ledger: undefined,
    nodes: new Map(),
    leftNodes: new Set(),
    everServed: new Set(),
    creditBeforeTaken: new Map(),
    releasing: new Set(),
    grantedAny: false,
    grantCursor: 0,
    startedAtMs: nowMs,
    scheduledAtMs: undefined,
    resumedOnRestart: false,
    unclaimedLeases: new Map(),
    heldResults: [],
    runningSinceMs: undefined,
    lastProgressAtMs: nowMs,
    droppedResults: 0,
    fencingLog: new FencingLog(),
    outcome: undefined,
    errors: new ErrorDigest(),
    rate: new ProgressRate(),
    lastNodeWaitText: undefined,
    outgoing: [],
  };
}
