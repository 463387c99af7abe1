/**
 * Local data paths: parajob reads data from the (shared) filesystem, so every path is resolved
 * against the YAML file's folder, and remote locations are refused with a clear message.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `azureml:` asset references and any `scheme://` URI other than `file://`. */
const REMOTE = /^(azureml:|(?!file:)[a-z][a-z0-9+.-]*:\/\/)/i;

/** The absolute path, or the reason the path cannot be used. */
export type LocalPathResult =
  { readonly ok: true; readonly path: string } | { readonly ok: false; readonly message: string };

/**
 * Resolves `raw` against `baseDir` (the YAML file's folder). `file://` URIs are accepted;
 * `azureml:…`, `azureml://`, `https://`, `wasbs://`, `abfss://`, `adl://` and the like are not (a web URL
 * is refused saying how to make it local: parajob makes no network requests for data).
 */
export function resolveLocalPath(raw: string, baseDir: string): LocalPathResult {
  const text = raw.trim();
  if (text === '') return { ok: false, message: 'the path is empty; give a local path' };
  if (/^https?:\/\//i.test(text))
    return {
      ok: false,
      message: `remote data is not supported; give a local path (got "${text}"): parajob does not download web URLs (its nodes read data from the filesystem they share); download the file first and give its path, or register it with \`parajob data create\` and use azureml:NAME:VERSION`,
    };
  if (REMOTE.test(text))
    return { ok: false, message: `remote data is not supported; give a local path (got "${text}")` };
  if (/^file:/i.test(text)) return { ok: true, path: fileURLToPath(text) };
  return { ok: true, path: isAbsolute(text) ? resolve(text) : resolve(baseDir, text) };
}
