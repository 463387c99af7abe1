/**
 * Test helpers that run the real `parajob` CLI (`node bin/parajob.js ...`) as OS processes and wait
 * on their output and exit with bounded timeouts (never a sleep). Needs `npm run build` first
 * (`npm test` type-checks and builds through tsc before vitest).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the launcher. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PARAJOB_BIN = fileURLToPath(new URL('../../bin/parajob.js', import.meta.url));
/** What the spawned CLI runs: the tsc output and the bundle bin/parajob.js prefers. */
const BUILT_OUTPUTS = ['dist/src/cli/main.js', 'dist/parajob.mjs'].map((path) => join(REPO_ROOT, path));
const SOURCES = join(REPO_ROOT, 'src');

/** The most recently modified TypeScript file under `dir`, with its mtime. */
function newestSource(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const { mtimeMs } = statSync(path);
    if (newest === undefined || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  }
  return newest;
}

/**
 * Why the build in `outputs` cannot be trusted for the sources under `sourcesDir`, or undefined when
 * it can: an output is missing, or a source is newer than the oldest output (tsc rewrites every
 * output on each build, so such a source changed after the last `npm run build`).
 */
export function buildProblem(outputs: readonly string[], sourcesDir: string): string | undefined {
  const missing = outputs.filter((path) => !existsSync(path));
  if (missing.length > 0) return `dist/ is missing ${missing.join(', ')}`;
  const oldest = outputs
    .map((path) => ({ path, mtimeMs: statSync(path).mtimeMs }))
    .reduce((a, b) => (b.mtimeMs < a.mtimeMs ? b : a));
  const source = newestSource(sourcesDir);
  if (source === undefined || source.mtimeMs <= oldest.mtimeMs) return undefined;
  return (
    `dist/ is stale: ${source.path} (changed ${new Date(source.mtimeMs).toISOString()}) is newer than ` +
    `${oldest.path} (built ${new Date(oldest.mtimeMs).toISOString()})`
  );
}

/** Throws a clear error when dist/ is missing or older than src/: the tests spawn the compiled CLI. */
export function assertBuilt(): void {
  const problem = buildProblem(BUILT_OUTPUTS, SOURCES);
  if (problem !== undefined)
    throw new Error(`${problem}: run \`npm run build\` (or \`npm test\`) before the integration tests`);
}

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `parajob` process with its output collected as it arrives. */
export class CliProcess {
  stdout = '';
  stderr = '';
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<CliExit>;
  exit: CliExit | undefined;

  constructor(
    readonly args: readonly string[],
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.received('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.received('stderr', chunk));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  /** stdout and stderr together, for messages that may be on either. */
  get output(): string {
    return `${this.stdout}${this.stderr}`;
  }

  /** stdout's lines without the empty last one. */
  get stdoutLines(): string[] {
    return this.stdout.split('\n').filter((line) => line.length > 0);
  }

  /**
   * Resolves with the first match of `pattern` in the output (stdout then stderr), as soon as it
   * appears; rejects after `timeoutMs` or when the process exits without printing it.
   */
  waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = this.stdout.match(pattern) ?? this.stderr.match(pattern);
        if (match) {
          done();
          resolve(match);
          return true;
        }
        if (this.exit) {
          done();
          reject(
            new Error(
              `parajob ${this.args.join(' ')} exited (${JSON.stringify(this.exit)}) without printing ${pattern}\n${this.describeOutput()}`,
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${pattern} from parajob ${this.args.join(' ')}\n${this.describeOutput()}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(listener);
      };
      const listener = (): void => void check();
      if (!check()) this.waiters.add(listener);
    });
  }

  /** Resolves with the exit once the process ended; rejects (after killing it) past `timeoutMs`. */
  async waitForExit(timeoutMs = 60_000): Promise<CliExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(
          new Error(`parajob ${this.args.join(' ')} did not exit within ${timeoutMs} ms\n${this.describeOutput()}`),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal if the process is still running. */
  signal(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }

  /** The output, for assertion messages. */
  describeOutput(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  private received(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this[stream] += chunk.toString('utf8');
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const running = new Set<CliProcess>();

export interface SpawnCliOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts `node bin/parajob.js ...args`. Every process started here is killed by `killAllCli()`. */
export function spawnCli(args: readonly string[], options: SpawnCliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [PARAJOB_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cli = new CliProcess(args, child);
  running.add(cli);
  void cli.exited.then(() => running.delete(cli));
  return cli;
}

/**
 * Starts `parajob coordinator` on a free loopback port with its data in `dataDir`; resolves once it
 * listens, with the process and the address to dial.
 */
export async function startCoordinatorCli(
  dataDir: string,
  options: SpawnCliOptions = {},
): Promise<{ readonly coordinator: CliProcess; readonly address: string }> {
  const coordinator = spawnCli(['coordinator', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], options);
  const listening = await coordinator.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  return { coordinator, address: `127.0.0.1:${listening[1]}` };
}

/**
 * Starts one `parajob node` per name on compute `compute`, each with its cache in
 * `<dir>/cache-<name>`; resolves once every one has attached to `address`.
 */
export async function startNodesCli(
  address: string,
  names: readonly string[],
  options: { readonly dir: string; readonly compute: string },
): Promise<CliProcess[]> {
  const nodes = names.map((name) =>
    spawnCli([
      'node',
      '--coordinator',
      address,
      '--name',
      name,
      '--compute',
      options.compute,
      '--cache-dir',
      join(options.dir, `cache-${name}`),
    ]),
  );
  await Promise.all(nodes.map((node) => node.waitFor(/attached to/)));
  return nodes;
}

/** Runs `parajob ...args` to its end (bounded) and returns the process with its output. */
export async function runCli(
  args: readonly string[],
  options: SpawnCliOptions & { timeoutMs?: number } = {},
): Promise<CliProcess> {
  const cli = spawnCli(args, options);
  await cli.waitForExit(options.timeoutMs ?? 60_000);
  return cli;
}

/**
 * Stops every process still running: SIGTERM, then SIGKILL for those that do not exit within
 * `graceMs`. For afterEach/afterAll.
 */
export async function killAllCli(graceMs = 10_000): Promise<void> {
  await Promise.all(
    [...running].map(async (cli) => {
      cli.signal('SIGTERM');
      const timer = setTimeout(() => cli.signal('SIGKILL'), graceMs);
      await cli.exited;
      clearTimeout(timer);
    }),
  );
}

/**
 * `parajob token create --role ROLE --data-dir DIR [extra...]`: the new token (the command prints it
 * alone on its last line). Throws with the command's output when it fails.
 */
export async function createToken(dataDir: string, role: string, ...extra: string[]): Promise<string> {
  const made = await runCli(['token', 'create', '--role', role, ...extra, '--data-dir', dataDir]);
  const token = made.stdoutLines.at(-1);
  if (made.exit?.code !== 0 || token === undefined)
    throw new Error(`parajob token create --role ${role} failed:\n${made.describeOutput()}`);
  return token;
}
