/**
 * A node's identity on its own disk, in its state dir: `node.key` (its private key, 0600; it never
 * leaves the machine), `node.crt` (its certificate from Cluster.Join) and `ca.crt` (the cluster CA it
 * trusts for the coordinator), the folder 0700. `parajob node` defaults the state dir to
 * `$XDG_STATE_HOME/parajob/nodes/<name>` (`~/.local/state/...` without XDG_STATE_HOME): one per node
 * name, so several nodes on one machine keep theirs apart, wherever they are started from.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { caHashOf } from './ca-hash.js';
import { nodeNameOfCertificate } from './node-certificates.js';
import { loadPair, writePair } from './pki.js';

/** What a node needs to attach over mTLS. */
export interface NodeIdentity {
  readonly keyPem: string;
  readonly certPem: string;
  readonly caPem: string;
}

/** A stored identity, read. */
export interface StoredIdentity extends NodeIdentity {
  /** The name the certificate binds; undefined when it binds none. */
  readonly name: string | undefined;
  readonly notAfterMs: number;
  /** `sha256:<hex>` of the CA's public key. */
  readonly caHash: string;
}

/** `parajob node`'s state dir for node `name` when `--state-dir` is not given. */
export function defaultStateDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'parajob', 'nodes', name.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^\.+/, '') || 'node');
}

/** The identity stored in `stateDir`; undefined when there is none (yet). */
export async function loadIdentity(stateDir: string): Promise<StoredIdentity | undefined> {
  const pair = await loadPair(stateDir, 'node');
  if (pair === undefined) return undefined;
  let caPem: string;
  try {
    caPem = await readFile(join(stateDir, 'ca.crt'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const cert = new X509Certificate(pair.certPem);
  return {
    ...pair,
    caPem,
    name: nodeNameOfCertificate(cert),
    notAfterMs: Date.parse(cert.validTo),
    caHash: caHashOf(caPem),
  };
}

/** Writes `identity` to `stateDir`: the key first (0600), each file by write-to-temp + rename. */
export async function saveIdentity(stateDir: string, identity: NodeIdentity): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  await writePair(stateDir, 'node', { keyPem: identity.keyPem, certPem: identity.certPem });
  const temp = join(stateDir, `.ca.crt.${process.pid}.tmp`);
  await writeFile(temp, identity.caPem, { mode: 0o644 });
  await rename(temp, join(stateDir, 'ca.crt'));
}
