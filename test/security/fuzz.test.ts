/**
 * A bounded, seeded fuzz of the wire: random bytes, random protobuf-shaped messages (fields of every
 * wire type, lying lengths, deep nesting) and two oversized messages on every RPC of
 * proto/parajob/v1/parajob.proto, sent as raw frames (no parajob code), while a real job runs beside
 * them. The coordinator must not crash, its resident memory must stay under a bound, and the job must
 * succeed exactly once with exactly its rows.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli, spawnCli } from '../helpers/cli-process.js';
import { writeGatedJob } from './gated-job.js';
import { WireClient } from './wire-client.js';

const SEED = 0x5eed_1234;
const CALLS = 360;
const IN_FLIGHT = 6;
const OVERSIZED_BYTES = 70 * 1024 * 1024;
const RSS_BOUND_BYTES = 600 * 1024 * 1024;
const FILES = Array.from({ length: 6 }, (_, i) => `f${i}.txt`);

/** Every RPC of the proto, by how it is called. */
const METHODS = [
  { path: '/parajob.v1.Jobs/Submit', shape: 'unary' },
  { path: '/parajob.v1.Jobs/Get', shape: 'unary' },
  { path: '/parajob.v1.Jobs/List', shape: 'unary' },
  { path: '/parajob.v1.Jobs/Cancel', shape: 'unary' },
  { path: '/parajob.v1.Jobs/Watch', shape: 'server-stream' },
  { path: '/parajob.v1.Code/Fetch', shape: 'server-stream' },
  { path: '/parajob.v1.Cluster/Attach', shape: 'bidi' },
] as const;

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

/** Random fields of every wire type; lengths sometimes lie; length-delimited fields nest. */
function protobufShaped(random: () => number, depth = 0): Buffer {
  const int = (below: number) => Math.floor(random() * below);
  const out: number[] = [];
  for (let field = int(6); field >= 0; field--) {
    const number = 1 + int(24);
    const wireType = [0, 1, 2, 5, 3, 7][int(6)] ?? 0;
    out.push(...varint(number * 8 + wireType));
    if (wireType === 0) out.push(...varint(int(2) === 0 ? int(300) : int(2 ** 52)));
    else if (wireType === 1) for (let i = 0; i < 8; i++) out.push(int(256));
    else if (wireType === 5) for (let i = 0; i < 4; i++) out.push(int(256));
    else if (wireType === 2) {
      const body =
        depth < 4 && int(2) === 0
          ? protobufShaped(random, depth + 1)
          : Buffer.from(Array.from({ length: int(64) }, () => int(256)));
      const lie = int(8) === 0 ? int(1000) : 0;
      out.push(...varint(body.length + lie), ...body);
    }
    // Wire types 3 and 7 (group start, invalid) carry nothing: the parser must refuse them.
  }
  return Buffer.from(out);
}

function payload(random: () => number, oversized: boolean): Buffer {
  if (oversized) return Buffer.alloc(OVERSIZED_BYTES, 0x0a);
  return random() < 0.4
    ? Buffer.from(Array.from({ length: Math.floor(random() * 2048) }, () => Math.floor(random() * 256)))
    : protobufShaped(random);
}

const raw = (bytes: Buffer) => bytes;

/** One fuzzed call; resolves when it ended, whatever the outcome. */
function fuzzCall(client: Client, random: () => number, oversized: boolean): Promise<void> {
  const method = METHODS[Math.floor(random() * METHODS.length)] ?? METHODS[0];
  const options = { deadline: new Date(Date.now() + 5_000) };
  const metadata = new Metadata();
  return new Promise((resolve) => {
    if (method.shape === 'unary') {
      client.makeUnaryRequest(method.path, raw, raw, payload(random, oversized), metadata, options, () => resolve());
      return;
    }
    const stream =
      method.shape === 'server-stream'
        ? client.makeServerStreamRequest(method.path, raw, raw, payload(random, oversized), metadata, options)
        : client.makeBidiStreamRequest(method.path, raw, raw, metadata, options);
    stream.on('data', () => undefined);
    stream.on('error', () => resolve());
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    if (method.shape === 'bidi') {
      const writable = stream as unknown as { write(chunk: Buffer): boolean; end(): void };
      const messages = 1 + Math.floor(random() * 4);
      for (let i = 0; i < messages; i++) writable.write(payload(random, oversized && i === 0));
      writable.end();
    }
  });
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1] ?? 0) * 1024;
}

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-fuzz-'));
});
afterAll(async () => {
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

describe('wire fuzz', () => {
  it(`${CALLS} malformed and oversized calls on every RPC: the coordinator stays up and bounded, the job beside succeeds once`, async () => {
    const { go } = await writeGatedJob(root, FILES, { timeoutS: 120 });
    const coordinator = spawnCli(['coordinator', '--port', '0', '--data-dir', join(root, 'data-dir')]);
    const address = `127.0.0.1:${(await coordinator.waitFor(/listening on \S+:(\d+)/))[1]}`;
    const node = spawnCli([
      'node',
      '--coordinator',
      address,
      '--name',
      'n1',
      '--compute',
      'cpu',
      '--cache-dir',
      join(root, 'cache'),
    ]);
    await node.waitFor(/attached to/);
    const created = await runCli(['job', 'create', '--file', join(root, 'job.yml'), '--coordinator', address]);
    expect(created.exit?.code, created.describeOutput()).toBe(0);
    const jobId = created.stdoutLines.at(-1) ?? '';

    const client = new Client(address, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
    const random = prng(SEED);
    const oversizedAt = new Set([Math.floor(CALLS / 3), Math.floor((2 * CALLS) / 3)]);
    let peakRss = 0;
    try {
      for (let start = 0; start < CALLS; start += IN_FLIGHT) {
        const wave = Array.from({ length: Math.min(IN_FLIGHT, CALLS - start) }, (_, i) =>
          fuzzCall(client, random, oversizedAt.has(start + i)),
        );
        await Promise.all(wave);
        expect(coordinator.exit, coordinator.describeOutput()).toBeUndefined();
        peakRss = Math.max(peakRss, rssBytes(coordinator.child.pid ?? 0));
      }
    } finally {
      client.close();
    }
    expect(peakRss).toBeLessThan(RSS_BOUND_BYTES);

    // Still answering, and the job (untouched by the fuzz) runs to its end once.
    const wire = new WireClient(address);
    try {
      const listed = await wire.unary('list', {});
      expect(listed.error).toBeNull();
      await writeFile(go, '');
      const streamed = await runCli(['job', 'stream', jobId, '--coordinator', address], { timeoutMs: 120_000 });
      expect(streamed.exit?.code, streamed.describeOutput()).toBe(0);
      const jobs = (await wire.unary('list', {})).response.jobs as { jobId: string; state: string }[];
      expect(jobs.filter((job) => job.state === 'JOB_STATE_SUCCEEDED').map((job) => job.jobId)).toEqual([jobId]);
    } finally {
      wire.close();
    }
    const rows = (await readFile(join(root, 'out', 'rows.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(rows.sort()).toEqual(FILES);
    expect(coordinator.exit).toBeUndefined();
    expect(coordinator.output).not.toMatch(/uncaught|unhandled|"level":60/i);
  }, 300_000);
});
