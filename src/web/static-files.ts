/**
 * The UI's static files: the bundle `npm run build` writes to dist/web/ (web/build.mjs), found next to
 * this module whether it runs compiled (dist/src/web/), bundled into the CLI (dist/parajob.mjs) or
 * from source under vitest (src/web/). Only the files present at start are served, by exact name:
 * no request path ever reaches the filesystem.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** Where the built UI is; undefined when it was not built. */
export function webAssetsDir(): string | undefined {
  // dist/src/web/ (compiled), dist/bundle/ (a chunk of the split CLI bundle), dist/ (the bundle's entry),
  // src/web/ (tests). The built folder is the one holding app.js: the source web/ has an index.html too.
  for (const candidate of ['../../web/', '../web/', './web/', '../../dist/web/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, 'app.js')) && existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** The built UI's files by URL path (`/` is index.html); empty when the UI was not built. */
export function loadStaticFiles(dir: string | undefined = webAssetsDir()): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (dir === undefined) return files;
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    files.set(`/${name}`, { body: readFileSync(join(dir, name)), contentType });
  }
  const index = files.get('/index.html');
  if (index !== undefined) files.set('/', index);
  return files;
}
