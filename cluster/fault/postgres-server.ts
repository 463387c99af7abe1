/**
 * A throw-away PostgreSQL server for tests and benchmarks of the PostgreSQL journal: Debian's `postgresql` package
 * (.ci/run installs it), initialised in a temporary folder and started on a free loopback port from a
 * test's setup, stopped and removed in its teardown. PostgreSQL refuses to run as root, so as root the
 * server runs as the `postgres` user the package creates.
 *
 * `findPostgres()` says why there is none (no binaries, no postgres user) so that a test can skip
 * with that reason printed; nothing else is a reason to skip.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

import { freePort } from './free-port.js';

const run = promisify(execFile);

/** Where Debian puts the server binaries. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The server binaries' folder, or why PostgreSQL cannot run here. */
export function findPostgres(): { readonly binDir: string } | { readonly reason: string } {
  const versions = existsSync(DEBIAN_ROOT)
    ? readdirSync(DEBIAN_ROOT)
        .filter((name) => existsSync(join(DEBIAN_ROOT, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = versions[0];
  if (version === undefined)
    return { reason: `PostgreSQL is not installed (no ${DEBIAN_ROOT}/*/bin/initdb; apt-get install postgresql)` };
  if (
    userInfo().uid === 0 &&
    !readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((line) => line.startsWith('postgres:'))
  )
    return { reason: 'running as root and there is no postgres user to run the server as (PostgreSQL refuses root)' };
  return { binDir: join(DEBIAN_ROOT, version, 'bin') };
}

/** A running throw-away server. */
export interface PostgresServer {
  readonly port: number;
  /** A URL of a fresh, empty database on this server. */
  createDatabase(name: string): Promise<string>;
  /** Runs one statement in the `postgres` database (test-side effects such as ending a session). */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

/** Starts a server (see the module comment); rejects when it cannot. */
export async function startPostgres(binDir: string): Promise<PostgresServer> {
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'parajob-pg-'));
  const dataDir = join(dir, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(binDir, command), ...args])
      : run(join(binDir, command), args);
  const port = await freePort();
  try {
    await as('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions']);
    // fsync off: a test server's durability against power loss is not what the tests are about.
    const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
    await as('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-o', serverOptions, '-w', '-t', '30', 'start']);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const query = async (text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: url('postgres') });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async stop() {
      await as('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
