/**
 * Starts the test S3 server (s3rver-main.mjs) as a child process on a free loopback port and stops it;
 * waits for its `listening` line with a bounded timeout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { S3Client } from '../../src/storage/s3-client.js';

const MAIN = fileURLToPath(new URL('./s3rver-main.mjs', import.meta.url));

export interface TestS3Server {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** A client with s3rver's one account (it checks the key id, not the signature). */
  readonly client: S3Client;
  /** The AWS_* variables a coordinator needs to reach it. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export const TEST_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** Serves `folder` with `buckets` created. Rejects if it does not listen within `timeoutMs`. */
export async function startS3Server(
  folder: string,
  buckets: readonly string[],
  timeoutMs = 15_000,
): Promise<TestS3Server> {
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', MAIN, folder, ...buckets], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the S3 server did not listen within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the S3 server exited (${code}) before listening: ${stderr}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    client: new S3Client({ endpoint, region: 'us-east-1', credentials: TEST_S3_CREDENTIALS }),
    env: {
      AWS_ACCESS_KEY_ID: TEST_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_S3_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
