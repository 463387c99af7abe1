/**
 * Bad MLTables and data through `parajob run`: each is reported before anything starts, naming the
 * file (and for the MLTable, the line and key), with exit 2.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { escapeRegExp, runTabularJob, tabularJobYaml } from '../helpers/tabular-job.js';

let dir: string;

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-tabular-bad-');
  await writeText(
    dir,
    'code/rows.mjs',
    'export function run(rows) { return rows.map((row) => JSON.stringify(row)); }\n',
  );
});

afterAll(async () => {
  await killAllCli();
});

/** Writes `<case>/MLTable` and its data files, runs a job on it, and returns the CLI and MLTable path. */
async function runBadTable(name: string, mltable: string, data: Record<string, string | Buffer>) {
  const mltablePath = await writeText(dir, `${name}/MLTable`, mltable);
  for (const [file, content] of Object.entries(data)) await writeFile(join(dir, name, file), content);
  const yaml = tabularJobYaml({
    tablePath: `./${name}`,
    entryScript: 'rows.mjs',
    outputFile: `./out-${name}/result.txt`,
  });
  const { cli } = await runTabularJob(dir, name, yaml, 30_000);
  expect(cli.exit?.code, cli.describeOutput()).toBe(2);
  // Caught by the CLI: no coordinator was started.
  expect(cli.stderr).not.toContain('Embedded coordinator');
  return { cli, mltablePath };
}

describe('bad MLTables: a clear error and exit 2', () => {
  it('an unknown transformation: the MLTable file, line, key and the nearest known name', async () => {
    const { cli, mltablePath } = await runBadTable(
      'unknown-transform',
      'paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimted: {}\n',
      { 'a.csv': 'x\n1\n' },
    );
    expect(cli.stderr).toMatch(
      new RegExp(
        `${escapeRegExp(mltablePath)}:4:\\d+: transformations\\[0\\]\\.read_delimted: unknown transformation \`read_delimted\` \\(did you mean \`read_delimited\`\\?\\)`,
      ),
    );
  });

  it('a bad header mode', async () => {
    const { cli, mltablePath } = await runBadTable(
      'bad-header',
      'paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited:\n      header: first_line\n',
      { 'a.csv': 'x\n1\n' },
    );
    expect(cli.stderr).toMatch(
      new RegExp(
        `${escapeRegExp(mltablePath)}:5:\\d+: transformations\\[0\\]\\.read_delimited\\.header: unknown header mode string "first_line"; expected one of: no_header, from_first_file`,
      ),
    );
  });

  it('paths matching no file', async () => {
    const { cli, mltablePath } = await runBadTable(
      'no-match',
      'paths:\n  - pattern: ./**/*.parquet\ntransformations:\n  - read_parquet: {}\n',
      { 'a.csv': 'x\n1\n' },
    );
    expect(cli.stderr).toMatch(
      new RegExp(
        `${escapeRegExp(mltablePath)}:2:\\d+: paths\\[0\\]\\.pattern: no file matches pattern \`\\./\\*\\*/\\*\\.parquet\``,
      ),
    );
  });

  it('bytes that are not valid in the encoding: the data file and the byte offset', async () => {
    // "Mün" in latin1: 0xfc is not valid UTF-8.
    const bytes = Buffer.concat([
      Buffer.from('name,city\nana,'),
      Buffer.from([0x4d, 0xfc, 0x6e]),
      Buffer.from('chen\n'),
    ]);
    const { cli } = await runBadTable(
      'undecodable',
      'paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited: {encoding: utf8}\n',
      { 'a.csv': bytes },
    );
    expect(cli.stderr).toMatch(new RegExp(`${escapeRegExp(join(dir, 'undecodable', 'a.csv'))}: .*byte 15.*utf8`));
  });

  it.each(['read_delimited', 'read_json_lines'])(
    'encoding utf16 in %s: refused by name with the encodings parajob reads',
    async (reader) => {
      const { cli, mltablePath } = await runBadTable(
        `utf16-${reader}`,
        `paths:\n  - file: ./a.txt\ntransformations:\n  - ${reader}:\n      encoding: utf16\n`,
        { 'a.txt': Buffer.from('id\n1\n', 'utf16le') },
      );
      expect(cli.stderr).toMatch(
        new RegExp(
          `${escapeRegExp(mltablePath)}:5:\\d+: transformations\\[0\\]\\.${reader}\\.encoding: encoding utf16 is not supported by parajob; expected one of: utf8, utf8bom, ascii, latin1, iso88591, windows1252`,
        ),
      );
    },
  );

  it('a JSON line that does not parse, with invalid_lines: error', async () => {
    const { cli } = await runBadTable(
      'bad-json',
      'paths:\n  - file: ./a.jsonl\ntransformations:\n  - read_json_lines: {invalid_lines: error}\n',
      {
        'a.jsonl': '{"id": 1}\n{"id": 2,\n{"id": 3}\n',
      },
    );
    expect(cli.stderr).toMatch(
      new RegExp(
        `${escapeRegExp(join(dir, 'bad-json', 'a.jsonl'))}: the line at byte 10 is not a JSON object .*invalid_lines: drop`,
      ),
    );
  });
});
