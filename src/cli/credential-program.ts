/**
 * Wires the credential verbs into the program: `parajob token create|list|revoke`
 * (src/cli/commands/token.ts), `parajob pki init` (src/cli/commands/pki.ts) and, under `parajob node`,
 * `certs` and `revoke` (src/cli/commands/node-cert.ts).
 */
import type { Command } from 'commander';

import type { CommandIo } from './command-io.js';

const loadToken = () => import('./commands/token.js');
const loadPki = () => import('./commands/pki.js');
const loadNodeCert = () => import('./commands/node-cert.js');

export function addCredentialCommands(
  program: Command,
  io: CommandIo,
  setExitCode: (code: number) => void,
  defaultDataDir: string,
): void {
  const token = program
    .command('token')
    .description("create, list and revoke the bearer tokens of a coordinator's data dir (README: Security)");
  token
    .command('create')
    .description('mint a token; prints it alone on the last line (shown once, stored hashed)')
    .requiredOption(
      '--role <role>',
      'node (may attach and fetch code), client (may use jobs and assets) or viewer (may only read jobs and assets)',
    )
    .option('--ttl <duration>', 'validity, e.g. 30m, 24h, 7d, or never', '24h')
    .option('--description <text>', 'a note shown by token list')
    .option('--data-dir <dir>', "the coordinator's data directory", defaultDataDir)
    .action(async (options: { role: string; ttl: string; description?: string; dataDir: string }) => {
      setExitCode((await loadToken()).tokenCreateCommand(options, io));
    });
  token
    .command('list')
    .description('list the tokens (ids, roles, expiry; never secrets)')
    .option('--data-dir <dir>', "the coordinator's data directory", defaultDataDir)
    .option('--json', 'print the records as JSON')
    .action(async (options: { dataDir: string; json?: boolean }) => {
      setExitCode((await loadToken()).tokenListCommand(options, io));
    });
  token
    .command('revoke')
    .description('revoke a token by its id (the part before the dot)')
    .argument('<id>', 'token id')
    .option('--data-dir <dir>', "the coordinator's data directory", defaultDataDir)
    .action(async (id: string, options: { dataDir: string }) => {
      setExitCode((await loadToken()).tokenRevokeCommand(id, options, io));
    });
  program
    .command('pki')
    .description("the cluster's certificate authority (README: Security)")
    .command('init')
    .description(
      'create the CA (and a server certificate) in <data-dir>/pki; prints the CA hash alone on the last line',
    )
    .option('--data-dir <dir>', "the coordinator's data directory", defaultDataDir)
    .option('--advertise <host[,host]>', "names the coordinator will be dialled by (its certificate's SANs)")
    .action(async (options: { dataDir: string; advertise?: string }) => {
      setExitCode(await (await loadPki()).pkiInitCommand(options, io));
    });
}

/** `parajob node certs` and `parajob node revoke NAME`, under the `node` command. */
export function addNodeCertCommands(
  node: Command,
  io: CommandIo,
  setExitCode: (code: number) => void,
  defaultDataDir: string,
): void {
  node
    .command('certs')
    .description('list the node certificates a coordinator issued (names, serials, expiry, revocation)')
    .option('--data-dir <dir>', "the coordinator's data directory", defaultDataDir)
    .option('--json', 'print the records as JSON')
    .action(async (options: { dataDir: string; json?: boolean }) => {
      setExitCode((await loadNodeCert()).nodeCertsCommand(options, io));
    });
  node
    .command('revoke')
    .description("revoke a node's certificates: refused from its next call on (it must join again with a token)")
    .argument('<name>', 'node name')
    .option('--data-dir <dir>', "the coordinator's data directory", defaultDataDir)
    .action(async (name: string, options: { dataDir: string }) => {
      setExitCode((await loadNodeCert()).nodeRevokeCommand(name, options, io));
    });
}
