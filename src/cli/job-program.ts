/**
 * Wires `parajob job create|stream|show|list|cancel|rerun|delete` into the program (the commands
 * themselves are in src/cli/commands/job.ts, loaded when chosen; `job validate` comes with the asset
 * verbs, asset-program.ts). main.ts adds the credential options (`--token`, `--ca`, `--ca-hash`).
 */
import type { Command, Option } from 'commander';

import type { DialAuth } from '../auth/dial.js';
import { collect } from './asset-program.js';
import { parseJobChaosOption } from './chaos-option.js';
import type { CommandIo } from './command-io.js';
import { resolveCoordinatorAddress } from './coordinator-address.js';

const loadJob = () => import('./commands/job.js');

/** The options every job command that dials the coordinator has. */
interface JobCommandOptions {
  coordinator?: string;
  token?: string;
  ca?: string;
  caHash?: string;
}

/** A job command's options as its command function takes them: the address resolved, the credentials read. */
type Dialing<T extends JobCommandOptions> = Omit<T, 'coordinator'> & { coordinator: string; auth: DialAuth };

/** The command functions of src/cli/commands/job.ts. */
type JobCommands = Awaited<ReturnType<typeof loadJob>>;

/** The option builders main.ts shares with the job commands. */
export interface JobProgramOptions {
  readonly coordinatorOption: () => Option;
  readonly authOf: (options: { token?: string; ca?: string; caHash?: string }) => DialAuth;
}

/** Adds the `job` command group to `program` and returns it. */
export function addJobCommands(
  program: Command,
  io: CommandIo,
  setExitCode: (code: number) => void,
  { coordinatorOption, authOf }: JobProgramOptions,
): Command {
  const dialing = <T extends JobCommandOptions>(options: T): Dialing<T> => ({
    ...options,
    coordinator: resolveCoordinatorAddress(options.coordinator),
    auth: authOf(options),
  });
  /** The action of a command without arguments: loads the commands, runs one, sets the exit code. */
  const action =
    <T extends JobCommandOptions>(run: (commands: JobCommands, options: Dialing<T>) => Promise<number>) =>
    async (options: T): Promise<void> => {
      const dialed = dialing(options);
      setExitCode(await run(await loadJob(), dialed));
    };
  /** The same for a command whose argument is a job id. */
  const jobAction =
    <T extends JobCommandOptions>(run: (commands: JobCommands, id: string, options: Dialing<T>) => Promise<number>) =>
    async (id: string, options: T): Promise<void> => {
      const dialed = dialing(options);
      setExitCode(await run(await loadJob(), id, dialed));
    };

  const job = program.command('job').description('submit, follow, inspect and cancel jobs on a running coordinator');
  job
    .command('create')
    .description('validate a job locally, snapshot its code and submit it; prints the job id alone on the last line')
    .requiredOption('--file <job.yml>', 'the job or pipeline YAML')
    .addOption(coordinatorOption())
    .option('--run-dir <dir>', 'run directory on the coordinator (default: <data dir>/runs/<job id>)')
    .option('--set <path=value>', 'override a key before validation, e.g. inputs.epochs=5 (repeatable)', collect)
    .option(
      '--data-dir <dir>',
      'validate against the registered assets of this data dir instead of the coordinator (the coordinator always uses its own)',
    )
    .option(
      '--force-rerun',
      'run every step even when an earlier run could be reused (sets settings.force_rerun; a standalone file takes it too)',
    )
    .option(
      '--chaos <plan>',
      'inject faults into run() calls to rehearse thresholds, e.g. "hang:mb=3:attempt=1" (README: Fault injection)',
      parseJobChaosOption,
    )
    .action(
      action<
        JobCommandOptions & {
          file: string;
          runDir?: string;
          chaos?: string;
          set?: string[];
          dataDir?: string;
          forceRerun?: boolean;
        }
      >((commands, options) => commands.jobCreateCommand(options, io)),
    );
  job
    .command('stream')
    .description('follow a job to its end with a progress line; exits with the job result')
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .option('--json', 'print the final status as JSON on stdout')
    .option('--logs', "also print the output of the job's command steps as it is written")
    .action(
      jobAction<JobCommandOptions & { json?: boolean; logs?: boolean }>((commands, id, options) =>
        commands.jobStreamCommand(id, options, io),
      ),
    );
  job
    .command('show')
    .description("print a job's status")
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .option('--json', 'print the status as JSON')
    .action(
      jobAction<JobCommandOptions & { json?: boolean }>((commands, id, options) =>
        commands.jobShowCommand(id, options, io),
      ),
    );
  job
    .command('list')
    .description('list the jobs the coordinator knows')
    .addOption(coordinatorOption())
    .option('--json', 'print the jobs as JSON')
    .action(
      action<JobCommandOptions & { json?: boolean }>((commands, options) => commands.jobListCommand(options, io)),
    );
  job
    .command('cancel')
    .description('cancel a job')
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .option('--json', 'print the status as JSON')
    .action(
      jobAction<JobCommandOptions & { json?: boolean }>((commands, id, options) =>
        commands.jobCancelCommand(id, options, io),
      ),
    );
  job
    .command('rerun')
    .description(
      'rerun a failed or cancelled job as a new job: succeeded steps and mini-batches are reused; prints the new id alone on the last line',
    )
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .option('--from-scratch', 'reuse nothing: run every step and every mini-batch again')
    .action(
      jobAction<JobCommandOptions & { fromScratch?: boolean }>((commands, id, options) =>
        commands.jobRerunCommand(id, options, io),
      ),
    );
  job
    .command('delete')
    .description('delete an ended job: the coordinator forgets it and removes its run directory')
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .action(jobAction((commands, id, options) => commands.jobDeleteCommand(id, options, io)));

  return job;
}
