#!/usr/bin/env node
// The `parajob` launcher: a thin plain-JS entry that loads the compiled CLI. `npm run build` (and
// `npm ci`, through the package's `prepare` script) compiles src/ with tsc into dist/ and bundles the
// CLI into dist/parajob.mjs and its chunks in dist/bundle/: a few files load in a fraction of the time
// of a few hundred modules, and each command loads only its own chunks (a `parajob node` process does
// not parse the coordinator, the job spec's YAML and zod, nor the progress display). Every node and
// coordinator process starts through here.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/parajob.mjs', import.meta.url));
const modules = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const cliMain = existsSync(bundle) ? bundle : modules;
if (!existsSync(cliMain)) {
  process.stderr.write('parajob is not built: run npm run build\n');
  process.exit(2);
}

const { main } = await import(pathToFileURL(cliMain).href);
const code = await main(process.argv);
// Exit now even if a stray handle (a socket closing, a timer) would keep the event loop alive a
// little longer (gRPC channels linger for about a second). main() has written the log files' last
// lines synchronously, and stdout/stderr are synchronous for files and pipes.
process.exit(code);
