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
      async (options: {
        file: string;
        coordinator?: string;
        runDir?: string;
        chaos?: string;
        set?: string[];
        dataDir?: string;
        forceRerun?: boolean;
        token?: string;
        ca?: string;
        caHash?: string;
      }) => {
        const coordinator = resolveCoordinatorAddress(options.coordinator);
        setExitCode(await (await loadJob()).jobCreateCommand({ ...options, coordinator, auth: authOf(options) }, io));
      },
    );
  job
    .command('stream')
    .description('follow a job to its end with a progress line; exits with the job result')
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .option('--json', 'print the final status as JSON on stdout')
    .option('--logs', "also print the output of the job's command steps as it is written")
    .action(
      async (
        id: string,
        options: { coordinator?: string; token?: string; ca?: string; caHash?: string; json?: boolean; logs?: boolean },
      ) => {
        const coordinator = resolveCoordinatorAddress(options.coordinator);
        setExitCode(
          await (await loadJob()).jobStreamCommand(id, { ...options, coordinator, auth: authOf(options) }, io),
        );
      },
    );
  job
    .command('show')
    .description("print a job's status")
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .option('--json', 'print the status as JSON')
    .action(
      async (
        id: string,
        options: { coordinator?: string; token?: string; ca?: string; caHash?: string; json?: boolean },
      ) => {
        const coordinator = resolveCoordinatorAddress(options.coordinator);
        setExitCode(await (await loadJob()).jobShowCommand(id, { ...options, coordinator, auth: authOf(options) }, io));
      },
    );
  job
    .command('list')
    .description('list the jobs the coordinator knows')
    .addOption(coordinatorOption())
    .option('--json', 'print the jobs as JSON')
    .action(async (options: { coordinator?: string; token?: string; ca?: string; caHash?: string; json?: boolean }) => {
      const coordinator = resolveCoordinatorAddress(options.coordinator);
      setExitCode(await (await loadJob()).jobListCommand({ ...options, coordinator, auth: authOf(options) }, io));
    });
  job
    .command('cancel')
    .description('cancel a job')
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .option('--json', 'print the status as JSON')
    .action(
      async (
        id: string,
        options: { coordinator?: string; token?: string; ca?: string; caHash?: string; json?: boolean },
      ) => {
        const coordinator = resolveCoordinatorAddress(options.coordinator);
        setExitCode(
          await (await loadJob()).jobCancelCommand(id, { ...options, coordinator, auth: authOf(options) }, io),
        );
      },
    );
  job
    .command('rerun')
    .description(
      'rerun a failed or cancelled job as a new job: succeeded steps and mini-batches are reused; prints the new id alone on the last line',
    )
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .option('--from-scratch', 'reuse nothing: run every step and every mini-batch again')
    .action(async (id: string, options: JobCommandOptions & { fromScratch?: boolean }) => {
      const coordinator = resolveCoordinatorAddress(options.coordinator);
      setExitCode(await (await loadJob()).jobRerunCommand(id, { ...options, coordinator, auth: authOf(options) }, io));
    });
  job
    .command('delete')
    .description('delete an ended job: the coordinator forgets it and removes its run directory')
    .argument('<id>', 'job id')
    .addOption(coordinatorOption())
    .action(async (id: string, options: JobCommandOptions) => {
      const coordinator = resolveCoordinatorAddress(options.coordinator);
      setExitCode(await (await loadJob()).jobDeleteCommand(id, { ...options, coordinator, auth: authOf(options) }, io));
    });

  return job;
}
