/**
 * The fault harness: a real cluster of `parajob` processes on loopback (a coordinator and N nodes,
 * started through bin/parajob.js exactly as a user would) with short heartbeat intervals, plus the
 * means to hurt it on cue:
 * - SIGKILL a node (`node.kill()`), or hang it and let it come back (`pause()` / `resume()`: SIGSTOP
 *   and SIGCONT, which is how a zombie is made: its late results must be fenced off);
 * - SIGKILL its workers (`node.killWorkers()`, found as the node process's children);
 * - cut its gRPC stream (`node.proxy.cut()`; nodes started with `viaProxy` dial a loopback TCP proxy
 *   that can drop or refuse connections);
 * - node faults of its own (`chaos`: kill-node, mute-heartbeats) and a job's run() faults
 *   (`submit(spec, { chaos })`: hang, throw, fewer, crash, hang-load).
 * Jobs are submitted over the Jobs API and followed with a JobTracker (wait for cues, then the end).
 * Used by test/fault; every wait is bounded.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { takeSnapshot } from '../../src/code/snapshot.js';
import { loadJobSpec } from '../../src/jobspec/load.js';
import { applySetOverrides } from '../../src/jobspec/set-overrides.js';
import { jobCodeFolders } from '../../src/jobspec/steps.js';
import { JobsApi } from '../../src/rpc/jobs-client.js';
import { freePort } from './free-port.js';
import { JobTracker } from './job-tracker.js';
import { ParajobProcess } from './parajob-process.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { childPids, killWorkers } from './worker-pids.js';

export interface FaultClusterOptions {
  /** Working folder: the coordinator's data dir, node caches and every process's log go here. */
  readonly dir: string;
  /** Heartbeat interval given to nodes, in milliseconds. @default 200 */
  readonly heartbeatIntervalMs?: number;
  /** Silence after which the coordinator deems a node lost, in milliseconds. @default 1000 */
  readonly nodeLostAfterMs?: number;
  /** Log level of every process. @default 'info' */
  readonly logLevel?: string;
  /** Bound on starting a process (coordinator listening, node attached), in milliseconds. @default 30000 */
  readonly startTimeoutMs?: number;
  /** The first coordinator's chaos plan (src/chaos/coordinator-plan.ts), e.g. `kill-coordinator:after-commits=40`. */
  readonly coordinatorChaos?: string;
  /** The journal's PostgreSQL database (`--store`) of every coordinator; '' for the file journal. @default '' */
  readonly store?: string;
}

export interface FaultNodeOptions {
  /** Node name (and id, while free). */
  readonly name: string;
  /** Compute pool. @default 'cpu' */
  readonly compute?: string;
  /** Cores offered (processors per job when max_concurrency_per_instance is unset). @default 2 */
  readonly cores?: number;
  /** Node chaos plan (src/chaos/node-plan.ts), e.g. `kill-node:after=40`. */
  readonly chaos?: string;
  /** Dial the coordinator through a TCP proxy of its own, so its stream can be cut. */
  readonly viaProxy?: boolean;
  /** Wait until the node has attached (the default), or return at once. */
  readonly waitAttached?: boolean;
}

/** A node process of the cluster. */
export class FaultNode {
  constructor(
    readonly name: string,
    readonly process: ParajobProcess,
    /** Its proxy to the coordinator (viaProxy only). */
    readonly proxy: TcpProxy | undefined,
  ) {}

  get pid(): number {
    return this.process.pid;
  }

  /** SIGKILL (default) or another signal; resolves once the process exited when it was a kill. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.process.signal(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await this.process.exited;
  }

  /** SIGSTOP: the node hangs (no heartbeat, no result) while its workers go on. */
  pause(): void {
    this.process.signal('SIGSTOP');
  }

  /** SIGCONT: the hung node resumes and sends what it had (late results of revoked leases). */
  resume(): void {
    this.process.signal('SIGCONT');
  }

  /** Pids of its live worker processes. */
  workerPids(): Promise<number[]> {
    return childPids(this.pid);
  }

  /** SIGKILLs every worker process of the node; returns the pids the signal reached. */
  killWorkers(): Promise<number[]> {
    return killWorkers(this.pid);
  }
}

/** What `submit` needs besides the spec. */
export interface SubmitOptions {
  /** The job's run() chaos plan (src/chaos/model.ts). */
  readonly chaos?: string;
  /** Run directory; default `<coordinator data dir>/runs/<job id>`. */
  readonly runDir?: string;
}

/** A running fault cluster; see the module comment. Start with `FaultCluster.start`, end with `stop`. */
export class FaultCluster {
  readonly nodes = new Map<string, FaultNode>();
  private readonly trackers: JobTracker[] = [];
  private readonly proxies: TcpProxy[] = [];
  private readonly retired: ParajobProcess[] = [];
  private nodeStarts = 0;
  private coordinatorStarts = 1;
  /** The standby coordinator (startStandby) and its address, until it took over. */
  private standby: { readonly process: ParajobProcess; readonly address: string } | undefined;
  /** What nodes dial: the coordinator's address, then the standby's once there is one. */
  private nodeCoordinators: string;

  private constructor(
    readonly options: Required<FaultClusterOptions>,
    /** The coordinator process (the newest, after restartCoordinator). */
    public coordinator: ParajobProcess,
    /** `127.0.0.1:<port>` of the coordinator. */
    readonly address: string,
    /** The Jobs client (a new channel after restartCoordinator: the old one is in connect backoff). */
    public api: JobsApi,
  ) {
    this.nodeCoordinators = address;
  }

  /** Starts the coordinator and resolves once it listens. */
  static async start(options: FaultClusterOptions): Promise<FaultCluster> {
    const compiled: Required<FaultClusterOptions> = {
      dir: resolve(options.dir),
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 200,
      nodeLostAfterMs: options.nodeLostAfterMs ?? 1_000,
      logLevel: options.logLevel ?? 'info',
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      coordinatorChaos: options.coordinatorChaos ?? '',
      store: options.store ?? '',
    };
    await mkdir(join(compiled.dir, 'logs'), { recursive: true });
    const { process: coordinator, port } = await startCoordinatorProcess(compiled, 0, compiled.coordinatorChaos, 1);
    const address = `127.0.0.1:${port}`;
    return new FaultCluster(compiled, coordinator, address, new JobsApi(address));
  }

  /**
   * Starts a new coordinator on the same port and data dir (after the old one died or was killed:
   * waits for its exit first), without a chaos plan; nodes dial it again by themselves.
   */
  async restartCoordinator(): Promise<void> {
    await this.coordinator.exited;
    this.retired.push(this.coordinator);
    this.coordinatorStarts += 1;
    const port = Number(this.address.split(':')[1]);
    this.coordinator = (await startCoordinatorProcess(this.options, port, '', this.coordinatorStarts)).process;
    this.api.close();
    this.api = new JobsApi(this.address);
  }

  /**
   * Starts a second coordinator on the same data dir and store (`store` must be set), on a free port of
   * its own, and resolves once it says it stands by; nodes started from then on dial both.
   */
  async startStandby(): Promise<void> {
    if (this.options.store === '') throw new Error('a standby needs the PostgreSQL store (options.store)');
    const port = await freePort();
    this.coordinatorStarts += 1;
    const process = new ParajobProcess(
      'standby coordinator',
      coordinatorArgs(this.options, port, ''),
      join(this.options.dir, 'logs', `coordinator-${this.coordinatorStarts}.log`),
    );
    this.standby = { process, address: `127.0.0.1:${port}` };
    this.nodeCoordinators = `${this.address},${this.standby.address}`;
    await process.waitFor(/standing by/, this.options.startTimeoutMs);
  }

  /**
   * Waits until the standby took over (it listens), then makes it the coordinator of the cluster:
   * the Jobs client dials it.
   */
  async awaitTakeover(timeoutMs = 30_000): Promise<void> {
    const standby = this.standby;
    if (standby === undefined) throw new Error('no standby: startStandby first');
    await standby.process.waitFor(/listening on 127\.0\.0\.1:(\d+)/, timeoutMs);
    this.retired.push(this.coordinator);
    this.coordinator = standby.process;
    this.standby = undefined;
    this.api.close();
    this.api = new JobsApi(standby.address);
  }

  /** Follows a job that is already known to the coordinator (after a restart, for instance). */
  follow(jobId: string, runDir: string): JobTracker {
    const tracker = new JobTracker(this.api, jobId, runDir);
    this.trackers.push(tracker);
    return tracker;
  }

  /**
   * Starts `parajob node` (a replacement when a node of that name was killed: it registers under the
   * same name and gets work again) and, by default, waits until it has attached.
   */
  async startNode(options: FaultNodeOptions): Promise<FaultNode> {
    const previous = this.nodes.get(options.name);
    if (previous !== undefined) {
      if (previous.process.exit === undefined) throw new Error(`node ${options.name} is still running`);
      this.retired.push(previous.process);
    }
    const proxy = options.viaProxy ? await startTcpProxy(this.address) : undefined;
    if (proxy !== undefined) this.proxies.push(proxy);
    this.nodeStarts += 1;
    const args = [
      'node',
      '--coordinator',
      proxy?.address ?? this.nodeCoordinators,
      '--name',
      options.name,
      '--compute',
      options.compute ?? 'cpu',
      '--cores',
      String(options.cores ?? 2),
      '--cache-dir',
      join(this.options.dir, 'cache', options.name),
      '--log-level',
      this.options.logLevel,
      ...(options.chaos === undefined ? [] : ['--chaos', options.chaos]),
    ];
    const process = new ParajobProcess(
      `node ${options.name}`,
      args,
      join(this.options.dir, 'logs', `node-${options.name}-${this.nodeStarts}.log`),
    );
    const node = new FaultNode(options.name, process, proxy);
    this.nodes.set(options.name, node);
    if (options.waitAttached ?? true) await process.waitFor(/attached to/, this.options.startTimeoutMs);
    return node;
  }

  /** The node of that name (throws when there is none). */
  node(name: string): FaultNode {
    const node = this.nodes.get(name);
    if (node === undefined) throw new Error(`no node named ${name}`);
    return node;
  }

  /**
   * Snapshots the spec's code, submits it over the Jobs API and starts following the job. Rejects
   * with the coordinator's error for a refused submission.
   */
  async submit(specPath: string, options: SubmitOptions = {}): Promise<JobTracker> {
    const file = resolve(specPath);
    const provisionalRunDir = options.runDir ?? join(this.options.dir, 'validate');
    const compiled = await loadJobSpec(file, { runDir: provisionalRunDir });
    const code = await Promise.all(jobCodeFolders(compiled).map((folder) => takeSnapshot(folder)));
    const response = await this.api.submit({
      // Every job of a fault rehearsal runs: a reused step would rehearse nothing.
      specYaml: applySetOverrides(file, await readFile(file, 'utf8'), ['settings.force_rerun=true']),
      specPath: file,
      code,
      ...(options.runDir === undefined ? {} : { runDir: resolve(options.runDir) }),
      ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
    });
    const tracker = new JobTracker(this.api, response.jobId, response.runDir);
    this.trackers.push(tracker);
    return tracker;
  }

  /** Asks the coordinator to cancel a job. */
  async cancel(jobId: string, reason = 'cancelled by the fault harness'): Promise<void> {
    await this.api.cancel(jobId, reason);
  }

  /** Stops everything: trackers, nodes (SIGTERM, then SIGKILL), proxies, the coordinator. */
  async stop(): Promise<void> {
    for (const tracker of this.trackers) tracker.close();
    await Promise.all(
      [...[...this.nodes.values()].map((node) => node.process), ...this.retired].map((process) => process.stop()),
    );
    for (const proxy of this.proxies) await proxy.close();
    this.api.close();
    await this.standby?.process.stop();
    await this.coordinator.stop();
  }
}

/** Starts `parajob coordinator` on `port` (0: any) and resolves with the port it listens on. */
async function startCoordinatorProcess(
  options: Required<FaultClusterOptions>,
  port: number,
  chaos: string,
  start: number,
): Promise<{ process: ParajobProcess; port: number }> {
  const coordinator = new ParajobProcess(
    'coordinator',
    coordinatorArgs(options, port, chaos),
    join(options.dir, 'logs', start === 1 ? 'coordinator.log' : `coordinator-${start}.log`),
  );
  const listening = await coordinator
    .waitFor(/listening on 127\.0\.0\.1:(\d+)/, options.startTimeoutMs)
    .catch(async (error: unknown) => {
      await coordinator.stop();
      throw error;
    });
  return { process: coordinator, port: Number(listening[1]) };
}

/** The arguments of `parajob coordinator` in the cluster. */
function coordinatorArgs(options: Required<FaultClusterOptions>, port: number, chaos: string): string[] {
  return [
    'coordinator',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--data-dir',
    join(options.dir, 'coordinator'),
    '--heartbeat-interval-ms',
    String(options.heartbeatIntervalMs),
    '--node-lost-after-ms',
    String(options.nodeLostAfterMs),
    '--log-level',
    options.logLevel,
    ...(chaos === '' ? [] : ['--chaos', chaos]),
    ...(options.store === '' ? [] : ['--store', options.store]),
  ];
}
