/**
 * The `parajob` command line: builds the commander program, runs the chosen command and resolves
 * with its exit code (src/cli/exit-codes.ts). bin/parajob.js calls `main(process.argv)`.
 * Each command lives in its own module under src/cli/commands; this file only wires options.
 */
import { Command, CommanderError, Option } from 'commander';

import { type CommandIo, processIo } from './command-io.js';
// Commands are imported when chosen: `parajob job list` need not load the coordinator or the node.
const loadRun = () => import('./commands/run.js');
const loadCoordinator = () => import('./commands/coordinator.js');
const loadNode = () => import('./commands/node.js');
import { type DialAuth, dialAuthFrom } from '../auth/dial.js';
import { flushLogFilesSync } from '../log/logger.js';
// The version is package.json's, read at start-up (from dist/parajob.mjs and dist/src alike).
import { packageVersion } from '../node/package-root.js';
import { addAssetCommands, collect } from './asset-program.js';
import { parseCoordinatorChaosOption, parseJobChaosOption, parseNodeChaosOption } from './chaos-option.js';
import { COORDINATOR_ENV, DEFAULT_COORDINATOR_ADDRESS, resolveCoordinatorAddress } from './coordinator-address.js';
import { addCredentialCommands, addNodeCertCommands } from './credential-program.js';
import { describeError } from './describe-error.js';
import { ExitCode, exitCodeForError, UsageError } from './exit-codes.js';
import { addJobCommands } from './job-program.js';
import { LOG_LEVELS, parseDuration, parseNonNegativeInt, parsePort, parsePositiveInt } from './option-parsers.js';
import { httpHostOption, httpPortOption } from './web-ui-options.js';

/** The default data directory of the coordinator (`parajob run` and `parajob coordinator`). */
export const DEFAULT_DATA_DIR = './.parajob';

/**
 * Builds the program. Every action stores its exit code through `setExitCode`; nothing here calls
 * process.exit, so the program can be driven from tests with captured streams.
 */
export function buildProgram(io: CommandIo, setExitCode: (code: number) => void): Command {
  const program = new Command('parajob')
    .description(
      'Azure ML parallel jobs, self-hosted: a coordinator and N nodes run your entry script over a huge input.',
    )
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  const logLevel = (): Option =>
    new Option('--log-level <level>', 'log level of the coordinator/node processes').choices(LOG_LEVELS);
  const coordinatorOption = (): Option =>
    new Option(
      '--coordinator <host:port>',
      `coordinator address (env ${COORDINATOR_ENV}, default ${DEFAULT_COORDINATOR_ADDRESS})`,
    );

  /** `--token`, `--ca`, `--ca-hash` on a command that dials the coordinator. */
  const withCredentials = (command: Command): Command =>
    command
      .option('--token <token>', 'bearer token from `parajob token create` (env PARAJOB_TOKEN)')
      .option('--ca <file>', "the cluster CA's certificate, to dial over TLS (env PARAJOB_CA)")
      .option('--ca-hash <sha256:hex>', "pin the cluster CA by its public key's hash, to dial over TLS");
  const authOf = (options: { token?: string; ca?: string; caHash?: string }): DialAuth => {
    try {
      return dialAuthFrom(options);
    } catch (error) {
      throw error instanceof TypeError ? new UsageError(error.message) : error;
    }
  };

  program
    .command('run')
    .description('run a job on this machine: an embedded coordinator and instance_count node processes')
    .argument('<job.yml>', 'the job or pipeline YAML')
    .option('--run-dir <dir>', 'run directory of the job (default: <data dir>/runs/<job id>)')
    .option(
      '--data-dir <dir>',
      'holds coordinator.log, nodes/node-<i>.log, code snapshots (code/) and the run directory (runs/<job id>, unless --run-dir), registered assets (assets/) and datastores/',
      DEFAULT_DATA_DIR,
    )
    .option('--set <path=value>', 'override a key before validation, e.g. inputs.epochs=5 (repeatable)', collect)
    .option('--nodes <n>', 'node processes to start (default: the largest resources.instance_count)', parsePositiveInt)
    .option(
      '--force-rerun',
      'run every step even when an earlier run could be reused (sets settings.force_rerun; a standalone file takes it too)',
    )
    .option('--json', 'print the final status as JSON on stdout')
    .option(
      '--chaos <plan>',
      'inject faults into run() calls to rehearse thresholds, e.g. "throw:p=0.1:seed=1" (README: Fault injection)',
      parseJobChaosOption,
    )
    .addOption(logLevel())
    .option(
      '--python <path>',
      'python interpreter for .py entry scripts, given to every node (default: $PARAJOB_PYTHON, then python3 on PATH)',
    )
    .addOption(
      new Option('--journal', "keep the embedded coordinator's journal (measures its cost: bench/)").hideHelp(),
    )
    .option('--ui', 'serve the web UI for the length of the run (its URL is printed)')
    .addOption(httpPortOption())
    .addOption(httpHostOption())
    .action(
      async (
        file: string,
        options: {
          runDir?: string;
          dataDir: string;
          set?: string[];
          nodes?: number;
          json?: boolean;
          logLevel?: string;
          chaos?: string;
          python?: string;
          journal?: boolean;
          forceRerun?: boolean;
          ui?: boolean;
          httpPort?: number;
          httpHost?: string;
        },
      ) => {
        setExitCode(await (await loadRun()).runCommand(file, options, io));
      },
    );

  program
    .command('coordinator')
    .description('run a coordinator until SIGINT/SIGTERM')
    .option('--port <port>', 'TCP port (0: any free port, printed)', parsePort, 7070)
    .option(
      '--host <host>',
      'interface to listen on; beyond loopback TLS and tokens are on (README: Security)',
      '127.0.0.1',
    )
    .option(
      '--data-dir <dir>',
      'holds coordinator.log, the journal of its jobs (journal/: a coordinator restarted on the same dir resumes them), code snapshots (code/), the PKI and tokens (pki/, auth/) and the run directories of jobs submitted without --run-dir (runs/<job id>)',
      DEFAULT_DATA_DIR,
    )
    .option('--advertise <host[,host]>', "names nodes and clients dial (the server certificate's SANs)")
    .option('--require-auth', 'demand tokens on loopback too')
    .option(
      '--allow-path <dir>',
      'inputs, outputs and run dirs of jobs must lie under this folder, or objects under this s3://bucket/prefix (repeatable; the data dir always allowed; enforced when tokens are required)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--insecure', 'listen beyond loopback without TLS (and without tokens unless --require-auth)')
    .option('--max-spec-bytes <n>', 'largest job spec accepted (default 1 MiB)', parsePositiveInt)
    .option('--max-retries <n>', 'largest retry_settings.max_retries accepted (default 100)', parseNonNegativeInt)
    .option(
      '--max-processes-per-node <n>',
      'largest max_concurrency_per_instance accepted (default 256)',
      parsePositiveInt,
    )
    .option(
      '--retain-days <n>',
      'delete ended jobs (run dir, journal entries) this many days after their end',
      parseNonNegativeInt,
    )
    .option(
      '--retain-finished-ms <ms>',
      'an ended job leaves memory this long after its end (default 10 min)',
      parseNonNegativeInt,
    )
    .option('--heartbeat-interval-ms <ms>', 'node heartbeat interval', parsePositiveInt)
    .option('--node-lost-after-ms <ms>', 'a node silent this long is lost (default 3 heartbeats)', parsePositiveInt)
    .option(
      '--store <url>',
      'keep the journal in PostgreSQL (postgres://user@host:port/db) instead of <data-dir>/journal: a second coordinator on the same database and data dir waits as a hot standby (README: Durability)',
    )
    .option(
      '--chaos <plan>',
      'inject a coordinator crash, e.g. "kill-coordinator:after-commits=40" (README: Fault injection)',
      parseCoordinatorChaosOption,
    )
    .addOption(logLevel())
    .option('--no-ui', 'serve no web UI')
    .addOption(httpPortOption())
    .addOption(httpHostOption())
    .action(
      async (options: {
        port: number;
        host: string;
        dataDir: string;
        heartbeatIntervalMs?: number;
        nodeLostAfterMs?: number;
        chaos?: string;
        store?: string;
        logLevel?: string;
        advertise?: string;
        requireAuth?: boolean;
        insecure?: boolean;
        allowPath?: string[];
        maxSpecBytes?: number;
        maxRetries?: number;
        maxProcessesPerNode?: number;
        retainDays?: number;
        retainFinishedMs?: number;
        ui: boolean;
        httpPort?: number;
        httpHost?: string;
      }) => {
        setExitCode(await (await loadCoordinator()).coordinatorCommand(options, io));
      },
    );

  const node = withCredentials(
    program.command('node').description('run a node that serves jobs of one compute pool, until SIGINT/SIGTERM'),
  )
    .addOption(coordinatorOption())
    .option('--name <name>', 'node name, unique in the cluster (default: the host name)')
    .option(
      '--state-dir <dir>',
      "the node's key and certificate: with --token and --ca/--ca-hash it joins once, then attaches over mutual TLS with no token (default $XDG_STATE_HOME/parajob/nodes/<name>, i.e. ~/.local/state/...)",
    )
    .option('--compute <pool>', "compute pool this node serves (a job's compute: picks it)")
    .option(
      '--cores <n>',
      'cores to offer (default: all); processors per job when max_concurrency_per_instance is unset',
      parsePositiveInt,
    )
    .option('--gpus <n>', 'GPUs to offer', parseNonNegativeInt)
    .option('--cache-dir <dir>', 'where code snapshots and fetched input files are cached')
    .option(
      '--shared-fs <prefix>',
      'a path prefix this node sees as the coordinator does (repeatable); input files elsewhere are fetched from the coordinator (default: a file is read in place when it exists on this machine)',
      collect,
    )
    .option('--cache-max-bytes <n>', 'bound of the fetched-input cache in bytes (default 10 GiB)', parseNonNegativeInt)
    .option('--python <path>', 'python interpreter for .py entry scripts')
    .option(
      '--chaos <plan>',
      'inject faults into this node, e.g. "kill-node:after=40" (README: Fault injection)',
      parseNodeChaosOption,
    )
    .option(
      '--reconnect-for <duration>',
      'how long to keep dialling a lost (or not yet reachable) coordinator before giving up with exit code 3, e.g. 30s, 15m (default 15m)',
      parseDuration,
    )
    .addOption(logLevel())
    .addOption(new Option('--exit-with-stdin', 'exit when stdin closes (used by parajob run)').hideHelp())
    .action(
      async (options: {
        coordinator?: string;
        name?: string;
        compute?: string;
        cores?: number;
        gpus?: number;
        cacheDir?: string;
        sharedFs?: string[];
        cacheMaxBytes?: number;
        python?: string;
        chaos?: string;
        logLevel?: string;
        exitWithStdin?: boolean;
        token?: string;
        ca?: string;
        caHash?: string;
        reconnectFor?: number;
        stateDir?: string;
      }) => {
        // `-`: the embedded `parajob run` writes the address on stdin once its coordinator listens.
        const coordinator = options.coordinator === '-' ? '-' : resolveCoordinatorAddress(options.coordinator);
        setExitCode(await (await loadNode()).nodeCommand({ ...options, coordinator, auth: authOf(options) }, io));
      },
    );

  addNodeCertCommands(node, io, setExitCode, DEFAULT_DATA_DIR);

  const job = addJobCommands(program, io, setExitCode, { coordinatorOption, authOf });
  for (const sub of job.commands) withCredentials(sub);

  addCredentialCommands(program, io, setExitCode, DEFAULT_DATA_DIR);
  addAssetCommands(program, job, io, setExitCode, DEFAULT_DATA_DIR);

  return program;
}

/**
 * Runs the CLI with `argv` (as process.argv: node, script, args...). Resolves with the exit code:
 * usage errors are 2, `--help`/`--version` 0, otherwise the command's own code.
 */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  let exitCode: number = ExitCode.succeeded;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message; help and version are not errors.
      return error.exitCode === 0 ? ExitCode.succeeded : ExitCode.invalidInput;
    }
    io.stderr.write(`${describeError(error)}\n`);
    return exitCodeForError(error);
  } finally {
    // The launcher exits as soon as main resolves: the log files' last lines are written now.
    flushLogFilesSync();
  }
}
