/**
 * The proto file is the whole contract: a client that knows nothing but proto/parajob/v1/parajob.proto
 * (loaded at run time with @grpc/proto-loader, as a client in another language would generate from
 * it) talks to a real coordinator without parajob's generated TypeScript.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { credentials, loadPackageDefinition, type ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Coordinator, startCoordinator } from '../../src/coordinator/index.js';

const PROTO = fileURLToPath(new URL('../../proto/parajob/v1/parajob.proto', import.meta.url));

type Unary = (
  request: object,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Record<string, unknown>) => void,
) => void;

describe('the wire contract, from the .proto alone', () => {
  let dir: string;
  let coordinator: Coordinator;
  let jobs: { list: Unary; submit: Unary; close(): void };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parajob-wire-'));
    coordinator = await startCoordinator({ host: '127.0.0.1', port: 0, dataDir: dir });
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
});
