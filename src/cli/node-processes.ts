/**
 * The node processes `parajob run` starts on this machine: real OS processes running
 * `parajob node`, exactly as on a cluster, so the embedded run exercises the same wire.
 *
 * Each runs in its own process group, so a Ctrl-C at the terminal reaches only `parajob run`, which
 * then cancels the job cleanly; and each gets `--exit-with-stdin`, so it exits by itself when the
 * parent dies and its stdin pipe closes (no orphan nodes even after a SIGKILL of the parent).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Grace period between SIGTERM and SIGKILL when stopping nodes, in milliseconds. */
export const NODE_STOP_GRACE_MS = 5_000;

/** `--coordinator -`: read the address from the first line of stdin (see `connect()`). */
export const STDIN_ADDRESS = '-';

/**
 * Absolute path of bin/parajob.js, found by walking up from this module to the package root: this
 * code runs from dist/src/cli/ and from the dist/parajob.mjs bundle alike.
 */
export function parajobLauncherPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const launcher = join(dir, 'bin', 'parajob.js');
    if (existsSync(launcher) && existsSync(join(dir, 'package.json'))) return launcher;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find bin/parajob.js above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export interface NodeProcess {
  readonly name: string;
  readonly compute: string;
  readonly child: ChildProcess;
  /** The node's stdout and stderr (its pino log) go here. */
  readonly logFile: string;
  /** Set once the process exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

export interface SpawnNodesOptions {
  /**
   * `host:port` of the coordinator; undefined: not known yet — the nodes start at once (their start-up
   * overlaps the coordinator's) and learn the address from `connect()` through their stdin.
   */
  readonly coordinator: string | undefined;
  /** Compute pool → number of nodes to start for it. */
  readonly pools: ReadonlyMap<string, number>;
  /** Folder for the node processes' own logs (`<name>.log`). */
  readonly logDir: string;
  /** Called when a node exits before `stop()` was called. */
  readonly onUnexpectedExit?: (node: NodeProcess) => void;
  /** Extra arguments for every `parajob node` (e.g. `--log-level debug`). */
  readonly extraArgs?: readonly string[];
  /** Extra environment for every node (e.g. its PARAJOB_TOKEN: the environment, unlike argv, is private to the user). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A set of started node processes. */
export interface NodeProcessGroup {
  readonly nodes: readonly NodeProcess[];
  /** SIGTERM to each, SIGKILL after NODE_STOP_GRACE_MS; resolves when all have exited. */
  stop(): Promise<void>;
  /** SIGKILL to each at once, synchronously (a second Ctrl-C). */
  kill(): void;
  /** Tells nodes spawned without an address where the coordinator is (a line on their stdin). */
  connect(address: string): void;
}

/** Starts `node-1`, `node-2`, ... (numbered across pools). */
export function spawnNodeProcesses(options: SpawnNodesOptions): NodeProcessGroup {
  mkdirSync(options.logDir, { recursive: true });
  const launcher = parajobLauncherPath();
  const nodes: NodeProcess[] = [];
  let stopping = false;
  let index = 0;
  for (const [compute, count] of options.pools) {
    for (let i = 0; i < count; i++) {
      index += 1;
      const name = `node-${index}`;
      const logFile = join(options.logDir, `${name}.log`);
      const fd = openSync(logFile, 'a');
      const args = [
        launcher,
        'node',
        '--coordinator',
        options.coordinator ?? STDIN_ADDRESS,
        '--name',
        name,
        '--compute',
        compute,
        '--exit-with-stdin',
        ...(options.extraArgs ?? []),
      ];
      const child = spawn(process.execPath, args, {
        stdio: ['pipe', fd, fd],
        detached: true,
        env: { ...process.env, ...options.env },
      });
      // The child has its own copy of the descriptor.
      closeSync(fd);
      const node: NodeProcess = {
        name,
        compute,
        child,
        logFile,
        exited: once(child, 'exit').then(
          ([code, signal]) => {
            node.exit = { code: code as number | null, signal: signal as NodeJS.Signals | null };
            if (!stopping) options.onUnexpectedExit?.(node);
          },
          // `once` rejects when the spawn itself failed ('error' before any 'exit').
          () => {
            node.exit = { code: null, signal: null };
            if (!stopping) options.onUnexpectedExit?.(node);
          },
        ),
      };
      // Writing to a dead node's stdin must not crash the parent.
      child.stdin?.on('error', () => undefined);
      nodes.push(node);
    }
  }
  const running = (): NodeProcess[] => nodes.filter((n) => n.exit === undefined);
  return {
    nodes,
    async stop() {
      stopping = true;
      await Promise.all(nodes.map((node) => (node.exit === undefined ? stopOne(node) : undefined)));
    },
    kill() {
      stopping = true;
      for (const node of running()) node.child.kill('SIGKILL');
    },
    connect(address) {
      for (const node of running()) node.child.stdin?.write(`${address}\n`);
    },
  };
}

async function stopOne(node: NodeProcess): Promise<void> {
  node.child.kill('SIGTERM');
  const timer = setTimeout(() => node.child.kill('SIGKILL'), NODE_STOP_GRACE_MS);
  try {
    await node.exited;
  } finally {
    clearTimeout(timer);
    node.child.stdin?.destroy();
  }
}
