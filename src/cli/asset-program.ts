/**
 * Wires the verbs that register assets or validate a job (src/cli/commands/assets.ts) into the
 * program: `component`, `data`, `datastore`, and `job validate`.
 */
import type { Command } from 'commander';

import type { CommandIo } from './command-io.js';
import type { DatastoreOptions } from './commands/assets.js';
import { COORDINATOR_ENV, resolveCoordinatorAddress } from './coordinator-address.js';

const loadAssets = () => import('./commands/assets.js');

/** Collects a repeatable option (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const SET_HELP = 'override a key before validation, Azure-style, e.g. inputs.epochs=5 (repeatable)';

interface Options {
  dataDir?: string;
  coordinator?: string;
  set?: string[];
  json?: boolean;
}

export function addAssetCommands(
  program: Command,
  job: Command,
  io: CommandIo,
  setExitCode: (code: number) => void,
  defaultDataDir: string,
): void {
  const withStore = (command: Command): Command =>
    command
      .option('--data-dir <dir>', `data dir holding the assets (the one parajob run uses; default ${defaultDataDir})`)
      .option('--json', 'print JSON');
  // Components and data live with the coordinator when one is named (--coordinator, else PARAJOB_COORDINATOR
  // unless --data-dir is given), else in the local data dir.
  const withRegistry = (command: Command): Command =>
    withStore(command).option(
      '--coordinator <host:port>',
      'register in / look up on this coordinator (default: PARAJOB_COORDINATOR when set and no --data-dir)',
    );
  /** Where the verb's assets live (see withRegistry). */
  const registryOf = <T extends Options>(options: T): T & { dataDir: string; coordinator: string | undefined } => {
    const named =
      options.coordinator !== undefined || (options.dataDir === undefined && !!process.env[COORDINATOR_ENV]);
    const coordinator = named ? resolveCoordinatorAddress(options.coordinator) : undefined;
    return { ...options, dataDir: options.dataDir ?? defaultDataDir, coordinator };
  };
  const dataDirOf = <T extends Options>(options: T): T & { dataDir: string } => ({
    ...options,
    dataDir: options.dataDir ?? defaultDataDir,
  });

  const component = program
    .command('component')
    .description('register components with the coordinator or in the data dir, and look them up');
  withRegistry(component.command('create').description('register a component file (its code folder is copied)'))
    .requiredOption('--file <component.yml>', 'the component YAML')
    .option('--set <path=value>', SET_HELP, collect)
    .action(async (options: Options & { file: string }) => {
      setExitCode(await (await loadAssets()).componentCreateCommand(options.file, registryOf(options), io));
    });
  withRegistry(component.command('list').description('the latest version of each registered component')).action(
    async (options: Options) => {
      setExitCode(await (await loadAssets()).assetListCommand('components', registryOf(options), io));
    },
  );
  withRegistry(component.command('show').description('a registered component (latest version by default)'))
    .argument('<name[:version]>', 'NAME, NAME:VERSION or NAME@latest')
    .action(async (reference: string, options: Options) => {
      setExitCode(await (await loadAssets()).assetShowCommand('components', reference, registryOf(options), io));
    });

  const data = program
    .command('data')
    .description('register data assets with the coordinator or in the data dir, and look them up');
  withRegistry(data.command('create').description('register a data asset file (name, version, type, path)'))
    .requiredOption('--file <data.yml>', 'the data asset YAML')
    .option('--set <path=value>', SET_HELP, collect)
    .action(async (options: Options & { file: string }) => {
      setExitCode(await (await loadAssets()).dataCreateCommand(options.file, registryOf(options), io));
    });
  withRegistry(data.command('list').description('the latest version of each data asset')).action(
    async (options: Options) => {
      setExitCode(await (await loadAssets()).assetListCommand('data', registryOf(options), io));
    },
  );
  withRegistry(data.command('show').description('a data asset (latest version by default)'))
    .argument('<name[:version]>', 'NAME, NAME:VERSION or NAME@latest')
    .action(async (reference: string, options: Options) => {
      setExitCode(await (await loadAssets()).assetShowCommand('data', reference, registryOf(options), io));
    });

  const datastore = program
    .command('datastore')
    .description('datastores: local folders or S3 buckets that azureml://datastores/<name>/paths/… name');
  withRegistry(datastore.command('create').description('make a datastore of a folder (--path) or an S3 prefix (--s3)'))
    .requiredOption('--name <name>', 'datastore name')
    .option('--path <dir>', 'its folder (created if missing)')
    .option('--s3 <s3://bucket/prefix>', 'its place in an S3-compatible object store')
    .option('--endpoint <url>', 'with --s3: the store, e.g. http://127.0.0.1:9000 (default: AWS)')
    .option('--region <region>', 'with --s3: the region (default: the environment, else us-east-1)')
    .option(
      '--credentials <file>',
      "with --s3: KEY=VALUE lines with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; with --coordinator its text is sent to the coordinator, which keeps it and never shows it (default: the coordinator's environment)",
    )
    .action(async (options: Options & DatastoreOptions) => {
      setExitCode(await (await loadAssets()).datastoreCreateCommand(options, registryOf(options), io));
    });
  withRegistry(datastore.command('list').description('the datastores (workspaceblobstore is built in)')).action(
    async (options: Options) => {
      setExitCode(await (await loadAssets()).datastoreListCommand(registryOf(options), io));
    },
  );
  withRegistry(datastore.command('show').description('a datastore: its place and connection, never its credentials'))
    .argument('<name>', 'datastore name')
    .action(async (name: string, options: Options) => {
      setExitCode(await (await loadAssets()).datastoreShowCommand(name, registryOf(options), io));
    });

  withStore(job.command('validate').description('validate a job: every error at once, nothing submitted (exit 0 or 2)'))
    .requiredOption('--file <job.yml>', 'the job or pipeline YAML')
    .option('--set <path=value>', SET_HELP, collect)
    .action(async (options: Options & { file: string }) => {
      setExitCode(await (await loadAssets()).jobValidateCommand(options.file, dataDirOf(options), io));
    });
}
