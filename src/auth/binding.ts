/**
 * The binding rule: a coordinator listens on loopback unless told otherwise, and any other address
 * needs TLS and required credentials, unless the operator says `--insecure` (and is warned loudly).
 */
import { isIP } from 'node:net';

/** True for 127.0.0.0/8, ::1 and `localhost`: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** Why listening on `host` this way is refused; undefined when it is allowed. */
export function bindingRefusal(
  host: string,
  security: { readonly tls: boolean; readonly requireAuth: boolean; readonly insecure: boolean },
): string | undefined {
  if (isLoopbackHost(host) || security.insecure) return undefined;
  if (security.tls && security.requireAuth) return undefined;
  return (
    `listening on ${host} (not loopback) needs TLS and required credentials; ` +
    'give --insecure to listen without them (anyone who can reach the port can then run code on every node)'
  );
}

/** The warning printed when a coordinator listens beyond loopback without TLS or credentials. */
export function insecureWarning(host: string, requireAuth: boolean): string {
  const bar = '!'.repeat(78);
  return [
    bar,
    `!! INSECURE: listening on ${host} without TLS${requireAuth ? '' : ' and without credentials'}.`,
    requireAuth
      ? '!! Tokens cross the network in plaintext: anyone on the path can steal them and submit jobs.'
      : '!! Anyone who can reach this port can submit jobs that run arbitrary code on every node.',
    '!! Use this only on a network you fully trust; drop --insecure to get TLS and tokens.',
    bar,
  ].join('\n');
}
