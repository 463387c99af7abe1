#!/usr/bin/env node
// The `parajob` launcher: a thin plain-JS entry that loads the compiled CLI (dist/, built by
// `npm run build`, and by `npm ci` through the package's `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cliMain = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(cliMain)) {
  process.stderr.write('parajob is not built: run npm run build\n');
  process.exit(2);
}

const { main } = await import(pathToFileURL(cliMain).href);
const code = await main(process.argv);
process.exitCode = code;
// Exit now even if a stray handle (a socket closing, a timer) would keep the event loop alive a
// little longer; the timer is unref'd so a clean exit happens sooner on its own.
setTimeout(() => process.exit(code), 100).unref();
