/**
 * A small JSON file shared between the CLI, which writes it (`parajob token ...`, `parajob node
 * revoke`), and the running coordinator, which reads it on every check: the parsed value is cached and
 * read again only when the file's modification time (or size) changes. Writes go to a temp file that
 * is renamed over the old one (a reader never sees half a file); the file is 0600, its folder 0700.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class WatchedJsonFile<T> {
  private value: T;
  private stamp = '';

  constructor(
    readonly file: string,
    private readonly empty: () => T,
  ) {
    this.value = empty();
  }

  /** The file's content (the empty value when there is no file). */
  read(): T {
    let stamp: string;
    try {
      const stats = statSync(this.file);
      stamp = `${stats.mtimeMs}:${stats.size}`;
    } catch {
      this.value = this.empty();
      this.stamp = '';
      return this.value;
    }
    if (stamp !== this.stamp) {
      this.value = JSON.parse(readFileSync(this.file, 'utf8')) as T;
      this.stamp = stamp;
    }
    return this.value;
  }

  /** Replaces the file's content. */
  write(value: T): void {
    const dir = dirname(this.file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
    const stats = statSync(this.file);
    this.value = value;
    this.stamp = `${stats.mtimeMs}:${stats.size}`;
  }
}
