/**
 * The proto file is the whole contract: a client that knows nothing but proto/parajob/v1/parajob.proto
 * (loaded at run time with @grpc/proto-loader, as a client in another language would generate from
 * it) talks to a real coordinator without parajob's generated TypeScript: it lists jobs, is refused
 * an invalid spec, and submits a job (its code snapshot built and hashed as the proto describes) and
 * watches it to success on a real node.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  type ClientReadableStream,
  credentials,
  loadPackageDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Coordinator, startCoordinator } from '../../src/coordinator/index.js';
import { type RunningNode, startNode } from '../../src/node/index.js';
import { makeInputFiles, writeText } from '../helpers/input-files.js';
import { LIST_FILES_SCRIPT, parallelJobYaml } from '../helpers/job-yaml.js';
import { requireBuiltWorker } from '../unit/worker/worker-harness.js';

const PROTO = fileURLToPath(new URL('../../proto/parajob/v1/parajob.proto', import.meta.url));

type Unary = (
  request: object,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Record<string, unknown>) => void,
) => void;

type Watch = (request: object) => ClientReadableStream<Record<string, unknown>>;

/** A file of a code snapshot as the proto's CodeFile has it. */
interface CodeFile {
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
}

/**
 * CodeSnapshot.hash, computed as the proto's comment says: lowercase hex sha256 over the files in path
 * order, each as its path, NUL, mode in decimal, NUL, content length in decimal, NUL, then its content.
 */
function snapshotHash(files: readonly CodeFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${file.path}\0${file.mode}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return hash.digest('hex');
}

describe('the wire contract, from the .proto alone', () => {
  let dir: string;
  let coordinator: Coordinator;
  let node: RunningNode | undefined;
  let jobs: { list: Unary; submit: Unary; watch: Watch; close(): void };

  beforeAll(async () => {
    requireBuiltWorker();
    dir = await mkdtemp(join(tmpdir(), 'parajob-wire-'));
    coordinator = await startCoordinator({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'coordinator') });
    const definition = loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const v1 = (
      loadPackageDefinition(definition) as unknown as {
        parajob: { v1: Record<string, new (address: string, creds: unknown) => typeof jobs> };
      }
    ).parajob.v1;
    const JobsService = v1.Jobs;
    if (JobsService === undefined) throw new Error('parajob.v1.Jobs missing from the proto');
    jobs = new JobsService(coordinator.address, credentials.createInsecure());
  });

  afterAll(async () => {
    jobs?.close();
    await node?.stop();
    await coordinator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (method: Unary, request: object) =>
    new Promise<{ error: ServiceError | null; response: Record<string, unknown> }>((resolve) =>
      method.call(jobs, request, { deadline: new Date(Date.now() + 10_000) }, (error, response) =>
        resolve({ error, response }),
      ),
    );

  it('lists jobs', async () => {
    const { error, response } = await call(jobs.list, {});
    expect(error).toBeNull();
    expect(response.jobs).toEqual([]);
  });

  it('refuses an invalid spec with INVALID_ARGUMENT naming the file and line', async () => {
    const { error } = await call(jobs.submit, {
      specYaml: 'type: parallel\ninputs: [\n',
      specPath: '/jobs/broken.yml',
      code: [],
    });
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/\/jobs\/broken\.yml:\d+:\d+: invalid YAML/);
  });

  it('submits a job with its code snapshot and watches it to success', async () => {
    const names = await makeInputFiles(join(dir, 'job', 'data'), 12);
    const script = await writeText(dir, 'job/code/list.mjs', LIST_FILES_SCRIPT);
    const specPath = await writeText(
      dir,
      'job/job.yml',
      parallelJobYaml({ miniBatchSize: '"5"', appendRowFile: './out/result.txt' }),
    );
    node = await startNode({
      coordinator: coordinator.address,
      name: 'wire-node',
      compute: 'cpu',
      cores: 1,
      cacheDir: join(dir, 'node-cache'),
      logger: pino({ level: 'silent' }),
    });

    const files: CodeFile[] = [{ path: 'list.mjs', content: await readFile(script), mode: 0o644 }];
    const submitted = await call(jobs.submit, {
      specYaml: await readFile(specPath, 'utf8'),
      specPath,
      code: [{ sourceDir: join(dir, 'job', 'code'), hash: snapshotHash(files), files }],
    });
    expect(submitted.error).toBeNull();
    const jobId = String(submitted.response.jobId);
    expect(jobId).not.toBe('');
    expect(submitted.response.runDir).toEqual(expect.stringContaining(jobId));

    // Watch: status events until a terminal state (bounded), as a client would follow a job.
    const states: string[] = [];
    const final = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const stream = jobs.watch.call(jobs, { jobId });
      const timer = setTimeout(() => {
        stream.cancel();
        reject(new Error(`job ${jobId} did not end within 60 s; states seen: ${states.join(', ')}`));
      }, 60_000);
      stream.on('data', (event: Record<string, unknown>) => {
        if (event.kind !== 'status') return;
        const jobStatus = event.status as Record<string, unknown>;
        states.push(String(jobStatus.state));
        if (['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED'].includes(String(jobStatus.state))) {
          clearTimeout(timer);
          stream.cancel();
          resolve(jobStatus);
        }
      });
      stream.on('error', (error: ServiceError) => {
        if (error.code === status.CANCELLED) return;
        clearTimeout(timer);
        reject(error);
      });
    });
    expect(final.state, String(final.stateReason)).toBe('JOB_STATE_SUCCEEDED');
    expect(final.jobId).toBe(jobId);
    expect(final.progress).toMatchObject({ miniBatchesTotal: 3, miniBatchesSucceeded: 3, itemsSucceeded: 12 });
    expect(states).toContain('JOB_STATE_RUNNING');
    const rows = (await readFile(join(dir, 'job', 'out', 'result.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(rows.sort()).toEqual(names);
  });
});
