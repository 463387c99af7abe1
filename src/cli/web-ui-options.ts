/**
 * The web UI's flags, shared by `parajob coordinator` (UI on by default) and `parajob run --ui`:
 * `--http-port` (default 7071, 0 = any free port; when the default is taken, any free port, as
 * Jupyter does) and `--http-host` (default loopback; the server refuses other hosts without TLS).
 */
import { Option } from 'commander';

import { DEFAULT_HTTP_PORT } from '../web/defaults.js';
import { parsePort } from './option-parsers.js';

export interface WebUiFlags {
  /** undefined: the default port, or any free one when it is taken. */
  readonly httpPort?: number;
  readonly httpHost?: string;
}

export function httpPortOption(): Option {
  return new Option('--http-port <port>', `web UI port (default ${DEFAULT_HTTP_PORT}; 0: any free port)`).argParser(
    parsePort,
  );
}

export function httpHostOption(): Option {
  return new Option('--http-host <host>', 'interface the web UI listens on (beyond loopback only with TLS)');
}

/** The coordinator's `http` option for the flags. */
export function webUiSetting(flags: WebUiFlags): { port: number; host?: string; anyPortIfTaken: boolean } {
  return {
    port: flags.httpPort ?? DEFAULT_HTTP_PORT,
    ...(flags.httpHost === undefined ? {} : { host: flags.httpHost }),
    anyPortIfTaken: flags.httpPort === undefined,
  };
}

/** The line printed at start (scripts and tests wait for it). */
export function webUiLine(url: string): string {
  return `parajob web UI at ${url}`;
}
