/**
 * Where the coordinator is: `--coordinator HOST:PORT`, else env PARAJOB_COORDINATOR, else
 * 127.0.0.1:7070 (the port `parajob coordinator` uses by default). Either may be a comma-separated
 * list: an active coordinator and its standbys (src/rpc/coordinator-list.ts).
 */
import { splitCoordinatorAddresses } from '../rpc/coordinator-list.js';
import { UsageError } from './exit-codes.js';

/** The address used when neither the option nor the environment names one. */
export const DEFAULT_COORDINATOR_ADDRESS = '127.0.0.1:7070';

/** The environment variable that names the coordinator for every client command. */
export const COORDINATOR_ENV = 'PARAJOB_COORDINATOR';

/**
 * Resolves and checks the coordinator address (`host:port`, `[v6]:port`, or a comma-separated list of
 * them). Throws a UsageError naming where the bad value came from.
 */
export function resolveCoordinatorAddress(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[COORDINATOR_ENV];
  const [value, source] =
    option !== undefined
      ? [option, '--coordinator']
      : fromEnv !== undefined && fromEnv !== ''
        ? [fromEnv, COORDINATOR_ENV]
        : [DEFAULT_COORDINATOR_ADDRESS, 'default'];
  const addresses = splitCoordinatorAddresses(value);
  const bad = addresses.length === 0 ? value : addresses.find((address) => !isAddress(address));
  if (bad !== undefined) {
    throw new UsageError(
      `${source}: "${bad}" is not a coordinator address; expected HOST:PORT (or a comma-separated list of them), e.g. 10.0.0.5:7070`,
    );
  }
  return addresses.join(',');
}

function isAddress(text: string): boolean {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  return match !== null && port >= 1 && port <= 65535;
}
