/**
 * A randomized soak with a fixed seed: 20 jobs of 200 files on a cluster of three node processes
 * (two behind TCP proxies), each with 1–3 faults drawn from everything the harness can do — run()
 * hangs, throws, returns fewer items or crashes its worker (job chaos); a node SIGKILLed (and replaced,
 * sometimes by one that kills itself on cue or mutes its heartbeats), a node hung until it is lost,
 * workers SIGKILLed, a stream cut. Every job must succeed with each expected line exactly once. It
 * prints runs, faults injected, rows lost and rows duplicated; a fault counts as injected only once
 * its effect was observed (a timeout, crash, exception or short return in the attempts CSV; a node
 * process killed; a node declared lost; workers killed; a live connection cut), never from the plan.
 *
 * `npm run soak` is the long form (PARAJOB_SOAK_RUNS=100, PARAJOB_SOAK_COORDINATOR_KILLS=1): besides its
 * other faults, a run is given a coordinator SIGKILL with probability {@link COORDINATOR_KILL_CHANCE}, at
 * a random point (right after the submission, at a random fraction done, or once every mini-batch is
 * done, while finishing), and the coordinator is started again on its data dir: the job must resume
 * and end exactly as without the crash. Those kills are drawn from a PRNG of their own, so the other
 * faults of each run are the same with or without them; `npm test` runs the short form without them
 * (coordinator kills have tests of their own: coordinator-kills.test.ts).
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkOutputFile, type LineCheck } from '../../cluster/fault/exactly-once.js';
import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { fractionDone, type JobTracker } from '../../cluster/fault/job-tracker.js';
import { type AttemptRecord, readAttempts } from '../../cluster/fault/run-reports.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { type FaultWorkspace, makeFaultWorkspace, namesOf, writeFaultJob } from './support.js';

const SEED = 20_261_126;
const RUNS = Number(process.env['PARAJOB_SOAK_RUNS'] ?? 20);
const COORDINATOR_KILLS = process.env['PARAJOB_SOAK_COORDINATOR_KILLS'] === '1';
const COORDINATOR_KILL_CHANCE = 0.5;
const FILES = 200;
const SIZE = 5;
const MINI_BATCHES = FILES / SIZE;
const NODES = ['s1', 's2', 's3'] as const;
const PROXIED = new Set<string>(['s1', 's2']);

/** mulberry32: a small seeded PRNG, so the soak draws the same faults on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type FaultKind = 'hang' | 'throw' | 'fewer' | 'crash' | 'kill-node' | 'pause-node' | 'kill-workers' | 'cut-stream';
const KINDS: readonly FaultKind[] = [
  'hang',
  'throw',
  'fewer',
  'crash',
  'kill-node',
  'pause-node',
  'kill-workers',
  'cut-stream',
];

/** A run() fault of the job's chaos plan, and the mini-batch it targets (not used by throw). */
interface PlannedChaos {
  readonly kind: FaultKind;
  readonly miniBatch: number;
}

/** True when the attempts CSV shows the fault's effect: a timeout, a crash, an injected exception, a short return. */
function chaosTookEffect(fault: PlannedChaos, attempts: readonly AttemptRecord[]): boolean {
  const ofTarget = attempts.filter((row) => row.miniBatchId === fault.miniBatch);
  switch (fault.kind) {
    case 'hang':
      return ofTarget.some((row) => row.attempt === 1 && row.status === 'RUN_TIMEOUT');
    case 'crash':
      return ofTarget.some((row) => row.attempt === 1 && row.status === 'WORKER_CRASHED');
    case 'fewer':
      return ofTarget.some((row) => row.errorCategory === 'FewerItems');
    case 'throw':
      return attempts.some(
        (row) => row.status === 'RUN_EXCEPTION' && row.errorMessage.includes('chaos: injected exception'),
      );
    default:
      return false;
  }
}

describe('fault soak', () => {
  let workspace: FaultWorkspace;
  let cluster: FaultCluster;

  beforeAll(async () => {
    assertBuilt();
    workspace = await makeFaultWorkspace('soak', FILES);
    cluster = await FaultCluster.start({ dir: join(workspace.dir, 'cluster') });
    await Promise.all(NODES.map((name) => cluster.startNode({ name, cores: 2, viaProxy: PROXIED.has(name) })));
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it(
    `runs ${RUNS} jobs with mixed faults${COORDINATOR_KILLS ? ' and coordinator kills' : ''} (seed ${SEED}): no row lost or duplicated`,
    async () => {
      const random = seededRandom(SEED);
      const killRandom = seededRandom(SEED + 1);
      const coordinatorKills = { drawn: 0, done: 0 };
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const totals = { runs: 0, lost: 0, duplicated: 0, unexpected: 0, failedJobs: [] as string[] };
      // Per kind: faults drawn, and faults whose effect was observed (see chaosTookEffect, injectOnCue).
      const planned = new Map<FaultKind, number>();
      const effective = new Map<FaultKind, number>();
      const count = (tally: Map<FaultKind, number>, kind: FaultKind): void => {
        tally.set(kind, (tally.get(kind) ?? 0) + 1);
      };

      for (let run = 0; run < RUNS; run++) {
        await ensureNodes();
        const kinds = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(KINDS));
        const chaos: string[] = [];
        const chaosPlan: PlannedChaos[] = [];
        let expected = workspace.names;
        const external: FaultKind[] = [];
        for (const kind of new Set(kinds)) {
          count(planned, kind);
          const miniBatch = Math.floor(random() * MINI_BATCHES);
          if (kind === 'hang' || kind === 'crash') chaos.push(`${kind}:mb=${miniBatch}:attempt=1`);
          else if (kind === 'throw') chaos.push(`throw:p=0.15:seed=${Math.floor(random() * 1000)}:attempt=1-2`);
          else if (kind === 'fewer') {
            chaos.push(`fewer:mb=${miniBatch}:drop=1`);
            // run() drops its last item in every attempt of that mini-batch: that one line is not expected.
            const dropped = namesOf(workspace, SIZE, miniBatch).at(-1);
            expected = expected.filter((name) => name !== dropped);
          } else {
            external.push(kind);
            continue;
          }
          chaosPlan.push({ kind, miniBatch });
        }
        const { spec, output } = await writeFaultJob(workspace, {
          name: `soak-${run}`,
          miniBatchSize: SIZE,
          instanceCount: NODES.length,
          concurrency: 2,
          maxRetries: 4,
          timeoutS: 1,
          env: { FAULT_SLEEP_MS: '120' },
        });
        let job = await cluster.submit(spec, chaos.length === 0 ? {} : { chaos: chaos.join('; ') });
        // A coordinator kill, when drawn, comes before the first fault outside the job whose cue is later.
        let killAt: number | undefined;
        let killed = false;
        if (COORDINATOR_KILLS && killRandom() < COORDINATOR_KILL_CHANCE) {
          coordinatorKills.drawn += 1;
          const point = killRandom();
          killAt = point < 0.15 ? 0 : point > 0.85 ? 1 : killRandom();
        }
        const killCoordinator = async (fraction: number): Promise<void> => {
          const resumed = await killCoordinatorOnCue(job, fraction);
          if (resumed === undefined) return;
          job.close();
          job = resumed;
          killed = true;
          coordinatorKills.done += 1;
        };
        for (const kind of external) {
          const fraction = 0.15 + random() * 0.5;
          if (killAt !== undefined && killAt <= fraction) {
            await killCoordinator(killAt);
            killAt = undefined;
          }
          if (await injectOnCue(job, kind, fraction, random)) count(effective, kind);
        }
        if (killAt !== undefined) await killCoordinator(killAt);
        const final = await job.end(90_000);
        job.close();
        const attempts = await readAttempts(job.runDir);
        for (const fault of chaosPlan) if (chaosTookEffect(fault, attempts)) count(effective, fault.kind);
        const check: LineCheck = await checkOutputFile(output, expected);
        totals.runs += 1;
        totals.lost += check.lost.length;
        totals.duplicated += check.duplicated.length;
        totals.unexpected += check.unexpected.length;
        if (COORDINATOR_KILLS)
          console.log(
            `soak run ${run}: ${[...new Set(kinds)].join(', ')}${killed ? ', coordinator killed' : ''}; ${JobState[final.state]}, lost ${check.lost.length}, duplicated ${check.duplicated.length}`,
          );
        if (final.state !== JobState.JOB_STATE_SUCCEEDED)
          totals.failedJobs.push(
            `run ${run} (${[...kinds].join(', ')}; chaos "${chaos.join('; ')}"): ${job.describe()}`,
          );
      }

      const sum = (tally: Map<FaultKind, number>): number => [...tally.values()].reduce((a, b) => a + b, 0);
      const byKind = KINDS.filter((kind) => planned.has(kind))
        .map((kind) => `${kind} ${effective.get(kind) ?? 0}/${planned.get(kind)}`)
        .join(', ');
      const kills = COORDINATOR_KILLS
        ? `, coordinator SIGKILLed and restarted ${coordinatorKills.done} times (${coordinatorKills.drawn} drawn; the others found the job ended)`
        : '';
      console.log(
        `fault soak (seed ${SEED}): runs ${totals.runs}, faults injected ${sum(effective)} of ${sum(planned)} drawn, by effect observed (${byKind})${kills}, rows lost ${totals.lost}, rows duplicated ${totals.duplicated}, unexpected rows ${totals.unexpected}`,
      );
      expect(totals.failedJobs).toEqual([]);
      expect(totals.runs).toBe(RUNS);
      expect({ lost: totals.lost, duplicated: totals.duplicated, unexpected: totals.unexpected }).toEqual({
        lost: 0,
        duplicated: 0,
        unexpected: 0,
      });
      // Faults that did something: at least one per run on average, and every kind drawn hurt something.
      expect(sum(effective)).toBeGreaterThanOrEqual(RUNS);
      expect(KINDS.filter((kind) => planned.has(kind) && !effective.has(kind))).toEqual([]);
      if (COORDINATOR_KILLS) expect(coordinatorKills.done).toBeGreaterThanOrEqual(RUNS / 4);
      // About 40 s alone for 20 runs; the bound (a minute a run) leaves room for a loaded machine.
    },
    Math.max(180_000, 60_000 * RUNS),
  );

  /**
   * Waits until `fraction` of the job is done (0: at once; 1: every mini-batch done, the step
   * finishing), SIGKILLs the coordinator and starts it again on its data dir; returns the tracker of
   * the resumed job, or undefined when the job ended before the cue.
   */
  async function killCoordinatorOnCue(job: JobTracker, fraction: number): Promise<JobTracker | undefined> {
    if (fraction > 0) {
      try {
        await job.until(
          `${Math.round(fraction * 100)}% done`,
          (tracker) => fractionDone(tracker.latest) >= fraction,
          30_000,
        );
      } catch (error) {
        if (job.isTerminal) return undefined;
        throw error;
      }
      if (job.isTerminal) return undefined;
    }
    cluster.coordinator.signal('SIGKILL');
    const exit = await cluster.coordinator.exited;
    if (exit.signal !== 'SIGKILL') throw new Error(`the coordinator exited by itself: ${JSON.stringify(exit)}`);
    await cluster.restartCoordinator();
    return cluster.follow(job.jobId, job.runDir);
  }

  /** Restarts any node process that died (a kill, or kill-node chaos) and waits until all are attached. */
  async function ensureNodes(): Promise<void> {
    await Promise.all(
      NODES.map(async (name) => {
        const node = cluster.nodes.get(name);
        if (node === undefined || node.process.exit !== undefined)
          await cluster.startNode({ name, cores: 2, viaProxy: PROXIED.has(name) });
        else await node.process.waitFor(/attached to/);
      }),
    );
  }

  /**
   * Waits until `fraction` of the job is done, then injects `kind`; true when its effect was observed
   * (a node process killed, a node declared lost, workers killed, a live connection cut). False when
   * the job ended first or the fault found nothing to hurt.
   */
  async function injectOnCue(
    job: JobTracker,
    kind: FaultKind,
    fraction: number,
    random: () => number,
  ): Promise<boolean> {
    try {
      await job.until(
        `${Math.round(fraction * 100)}% done`,
        (tracker) => fractionDone(tracker.latest) >= fraction,
        30_000,
      );
    } catch (error) {
      if (job.isTerminal) return false;
      throw error;
    }
    const name = NODES[Math.floor(random() * NODES.length)] as string;
    const node = cluster.node(name);
    if (node.process.exit !== undefined) return false;
    switch (kind) {
      case 'kill-node': {
        await node.kill('SIGKILL');
        const killed = (await node.process.exited).signal === 'SIGKILL';
        // The replacement registers under the same name; a third of the time it carries node chaos.
        const roll = random();
        const chaos =
          roll < 0.33
            ? `kill-node:after=${5 + Math.floor(random() * 10)}`
            : roll < 0.66
              ? 'mute-heartbeats:after=2:for=1500'
              : undefined;
        await cluster.startNode({
          name,
          cores: 2,
          viaProxy: PROXIED.has(name),
          waitAttached: false,
          ...(chaos === undefined ? {} : { chaos }),
        });
        return killed;
      }
      case 'pause-node': {
        // In effect once the coordinator declared the node lost. A job that ends first is no effect;
        // a paused node never declared lost while its job runs on is a failure, not a fault to skip.
        // A node that has not joined the job on this coordinator (one restarted a moment ago, which it
        // has not dialled again yet) cannot be lost by it: nothing to hurt.
        if (!job.hasMessage(new RegExp(`node ${name} joined`))) return false;
        node.pause();
        try {
          await job.until(`${name} lost`, (tracker) => tracker.hasMessage(new RegExp(`node ${name} lost`)), 15_000);
          return true;
        } catch (error) {
          if (job.isTerminal) return false;
          throw error;
        } finally {
          node.resume();
        }
      }
      case 'kill-workers':
        // Workers the signal reached (a node between runs may have none to kill).
        return (await node.killWorkers()).length > 0;
      case 'cut-stream': {
        const proxied = cluster.node(PROXIED.has(name) ? name : 's1');
        if (proxied.proxy === undefined || proxied.process.exit !== undefined) return false;
        return proxied.proxy.cut() > 0;
      }
      default:
        return false;
    }
  }
});
