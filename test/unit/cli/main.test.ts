import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import type { CommandIo } from '../../../src/cli/command-io.js';
import { main } from '../../../src/cli/main.js';

async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const io: CommandIo = { stdout, stderr: stderr as unknown as NodeJS.WriteStream };
  const code = await main(['node', 'parajob', ...args], io);
  return { code, stdout: out, stderr: err };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('parajob command line', () => {
  it('prints help with every command and exits 0', async () => {
    const { code, stdout } = await runCli('--help');
    expect(code).toBe(0);
    for (const command of ['run', 'coordinator', 'node', 'job'])
      expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('refuses an unknown command with exit 2', async () => {
    const { code, stderr } = await runCli('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  it('refuses a --nodes value that is not a positive whole number', async () => {
    const { code, stderr } = await runCli('run', 'job.yml', '--nodes', 'ten');
    expect(code).toBe(2);
    expect(stderr).toContain("option '--nodes <n>' argument 'ten' is invalid. expected a whole number of at least 1.");
  });

  it('refuses a --port out of range', async () => {
    const { code, stderr } = await runCli('coordinator', '--port', '70000');
    expect(code).toBe(2);
    expect(stderr).toContain('expected a port number from 0 to 65535');
  });

  it('requires --file for job create', async () => {
    const { code, stderr } = await runCli('job', 'create');
    expect(code).toBe(2);
    expect(stderr).toContain("required option '--file <job.yml>' not specified");
  });

  it('refuses a malformed coordinator address and names the option', async () => {
    const { code, stderr } = await runCli('job', 'show', 'x', '--coordinator', 'nope');
    expect(code).toBe(2);
    expect(stderr).toContain('--coordinator: "nope" is not a coordinator address; expected HOST:PORT');
  });

  it('says it cannot reach the coordinator, with its address, and exits 3', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const { code, stderr } = await runCli('job', 'list', '--coordinator', address);
    expect(code).toBe(3);
    expect(stderr).toContain(`error: cannot reach the coordinator at ${address}`);
  });

  it('validates the spec before contacting the coordinator: a YAML error names file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parajob-cli-'));
    const file = join(dir, 'job.yml');
    await writeFile(file, 'type: parallel\ninputs:\n  a: [unclosed\n');
    // The coordinator address is unreachable on purpose: the spec error must come first.
    const { code, stderr } = await runCli(
      'job',
      'create',
      '--file',
      file,
      '--coordinator',
      `127.0.0.1:${await closedPort()}`,
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(
      new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML`, 'm'),
    );
    expect(stderr).not.toContain('cannot reach');
  });
});
