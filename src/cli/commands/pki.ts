/**
 * `parajob pki init --data-dir D [--advertise host,...]`: creates the cluster CA (and a server
 * certificate for the given names) in `<D>/pki` without starting a coordinator, and prints the CA's
 * hash alone on the last line. Deployments that cannot read a coordinator's first-start output
 * (Kubernetes Secrets made before the pods, a Slurm batch script) make the PKI and the tokens first,
 * hand the CA certificate or its hash to the nodes, then start the coordinator on the same data dir,
 * which keeps that CA (src/auth/pki.ts) and reissues its server certificate for its --advertise names.
 */
import { resolve } from 'node:path';

import { ensureServerPki } from '../../auth/pki.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError } from '../exit-codes.js';

export async function pkiInitCommand(
  options: { readonly dataDir: string; readonly advertise?: string },
  io: CommandIo,
): Promise<number> {
  try {
    const names = (options.advertise ?? '').split(',').filter((name) => name.trim() !== '');
    const pki = await ensureServerPki(resolve(options.dataDir), names);
    writeLine(
      io.stderr,
      `${pki.created ? 'created' : 'kept'} the cluster CA in ${pki.dir} (ca.crt: give it to nodes and clients with --ca, or pin its hash with --ca-hash):`,
    );
    writeLine(io.stdout, pki.caHash);
    return ExitCode.succeeded;
  } catch (error) {
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
}
