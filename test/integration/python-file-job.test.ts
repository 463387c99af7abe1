/**
 * Python entry scripts written for Azure, run by `parajob run` over real node and worker processes:
 * a file-list job over two nodes (exact output), argparse's parse_known_args with allow_abbrev=False
 * next to the system arguments, EntryScript's logger file and print() in the stdout log; and the
 * bundled example, run with the one command the README gives.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, type CliProcess, killAllCli, REPO_ROOT, runCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';
import { logLines, NO_PYTHON, TEST_PYTHON } from '../helpers/python.js';

const FILES = 120;

/** Words of at least 3 characters in file i: i % 7 (the "ab" words are too short to count). */
function fileText(i: number): string {
  return [...Array<string>(i % 5).fill('ab'), ...Array<string>(i % 7).fill('word')].join(' ');
}

const fileName = (i: number): string => `doc-${String(i).padStart(3, '0')}.txt`;

/** Azure-style: argparse in init(), EntryScript's logger, print(), one row per file. */
const SCORE_PY = `"""Counts the words of each file, as on Azure."""
import argparse
import os

from azureml_user.parallel_run import EntryScript

args = None


def init():
    global args
    parser = argparse.ArgumentParser(allow_abbrev=False)
    # With abbreviations allowed, the system argument --output <folder> would fill --output_folder.
    parser.add_argument("--output_folder", default="unset")
    parser.add_argument("--min_length", type=int, required=True)
    args, unknown = parser.parse_known_args()
    logger = EntryScript().logger
    logger.info("args min_length=%d output_folder=%s", args.min_length, args.output_folder)
    logger.info("unknown %s", " ".join(unknown))
    print("init done in", EntryScript().agent_name)


def run(mini_batch):
    rows = []
    for path in mini_batch:
        with open(path, encoding="utf-8") as handle:
            words = [word for word in handle.read().split() if len(word) >= args.min_length]
        rows.append("{} {}".format(os.path.basename(path), len(words)))
    EntryScript().logger.info("run: %d files", len(mini_batch))
    return rows
`;

describe.skipIf(TEST_PYTHON === undefined)(
  `a Python entry script over two nodes ${TEST_PYTHON ? '' : NO_PYTHON}`,
  () => {
    let dir: string;
    let runDir: string;
    let run: CliProcess;

    beforeAll(async () => {
      assertBuilt();
      dir = await makeTempDir('parajob-python-files-');
      for (let i = 0; i < FILES; i++) await writeText(join(dir, 'data'), fileName(i), fileText(i));
      await writeText(dir, 'code/score.py', SCORE_PY);
      const yaml = parallelJobYaml({
        miniBatchSize: '"2"',
        instanceCount: 2,
        maxConcurrencyPerInstance: 2,
        entryScript: 'score.py',
        appendRowFile: './out/rows.txt',
        extra: '  program_arguments: --min_length 3',
      });
      await writeText(dir, 'job.yml', yaml);
      runDir = join(dir, 'run');
      run = await runCli(['run', join(dir, 'job.yml'), '--run-dir', runDir, '--data-dir', join(dir, 'data-dir')], {
        timeoutMs: 90_000,
      });
    }, 120_000);

    afterAll(async () => {
      await killAllCli();
    });

    it('exits 0 with exactly one `<file> <words>` row per file, and both nodes ran mini-batches', async () => {
      expect(run.exit?.code, run.describeOutput()).toBe(0);
      const rows = (await readFile(join(dir, 'out', 'rows.txt'), 'utf8')).split('\n').filter(Boolean);
      const expected = Array.from({ length: FILES }, (_, i) => `${fileName(i)} ${i % 7}`);
      expect([...rows].sort()).toEqual(expected);
      const csv = parse(
        await readFile(join(runDir, 'logs', 'sys', 'job_report', 'processed_mini-batches.csv'), 'utf8'),
        { columns: true },
      ) as Record<string, string>[];
      const done = csv.filter((row) => row.Status === 'RUN_DONE');
      expect(done).toHaveLength(FILES / 2);
      expect(new Set(done.map((row) => row.Node))).toEqual(new Set(['node-1', 'node-2']));
    });

    it('parse_known_args with allow_abbrev=False leaves the system arguments unknown and reads the user ones', async () => {
      // The log of a worker that ran mini-batches, so its init() ran to the end (see entryScriptLogs).
      const log = (await entryScriptLogs(runDir)).find((entry) => entry.runLines > 0)?.lines ?? [];
      expect(log).toContainEqual(expect.stringMatching(/\|args min_length=3 output_folder=unset$/));
      const unknown = log.find((line) => line.includes('|unknown ')) ?? '';
      expect(unknown).toContain('--output_action append_row');
      expect(unknown).toMatch(new RegExp(`--output ${join(dir, 'out')}( |$)`));
      expect(unknown).toContain('--mini_batch_size 2');
    });

    it("writes EntryScript().logger to logs/user/entry_script_log/<node>/<process>.log.txt in Azure's format, print() to the stdout log", async () => {
      const logs = await entryScriptLogs(runDir);
      // One file per worker that logged, named after its process; both nodes ran mini-batches.
      expect(logs.every(({ file }) => /^process00[01]\.log\.txt$/.test(file))).toBe(true);
      expect(new Set(logs.filter((log) => log.runLines > 0).map((log) => log.node))).toEqual(
        new Set(['node-1', 'node-2']),
      );
      for (const { node, file, lines, runLines } of logs) {
        const process = file.replace('.log.txt', '');
        if (runLines > 0) {
          // A worker that ran mini-batches finished init(): its log starts with init()'s lines, and
          // its print() is in its stdout log.
          expect(lines[0]).toMatch(INIT_ARGS_LINE);
          expect(lines[1]).toMatch(INIT_UNKNOWN_LINE);
          const stdout = await logLines(runDir, 'user', 'stdout', node, `${process}.stdout.txt`);
          expect(stdout).toContain(`init done in ${process}`);
        } else {
          // A worker still in init() when the last mini-batch finished is killed where it stands (its
          // log even empty, when the kill came between the file's creation and its first line): it
          // holds init()'s first lines and nothing else.
          expect(lines.length).toBeLessThanOrEqual(2);
          lines.forEach((line, index) => expect(line).toMatch(index === 0 ? INIT_ARGS_LINE : INIT_UNKNOWN_LINE));
        }
      }
      // Which process runs which mini-batch is up to scheduling; every mini-batch is logged once.
      expect(logs.reduce((sum, log) => sum + log.runLines, 0)).toBe(FILES / 2);
    });
  },
);

describe.skipIf(TEST_PYTHON === undefined)(`examples/python-scoring ${TEST_PYTHON ? '' : NO_PYTHON}`, () => {
  afterAll(async () => {
    await killAllCli();
  });

  it('runs with the one command the README gives: a word count row per document', async () => {
    assertBuilt();
    const dir = await makeTempDir('parajob-python-example-');
    const runDir = join(dir, 'run');
    const run = await runCli(
      ['run', 'examples/python-scoring/job.yml', '--run-dir', runDir, '--data-dir', join(dir, 'data')],
      { timeoutMs: 90_000 },
    );
    expect(run.exit?.code, run.describeOutput()).toBe(0);
    const outputFile = join(runDir, 'outputs', 'counts', 'parallel_run_step.txt');
    expect(run.stdout).toContain(`counts: ${outputFile}`);
    const rows = (await readFile(outputFile, 'utf8')).split('\n').filter(Boolean);
    // Counted here, independently: the job passes --min_length 3 (inputs.min_length), and score.py
    // counts the whitespace-separated words of at least that many characters.
    const dataDir = join(REPO_ROOT, 'examples', 'file-hash', 'data');
    const documents = (await readdir(dataDir)).sort();
    const expected = await Promise.all(
      documents.map(async (document) => {
        const words = (await readFile(join(dataDir, document), 'utf8')).split(/\s+/);
        return `${document} ${words.filter((word) => [...word].length >= 3).length}`;
      }),
    );
    expect(expected.some((row) => !row.endsWith(' 0'))).toBe(true);
    expect([...rows].sort()).toEqual(expected);
  }, 120_000);
});

const INIT_ARGS_LINE =
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\|ParallelRunStep\|init\(\)\|INFO\|args min_length=3 output_folder=unset$/;
const INIT_UNKNOWN_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\|ParallelRunStep\|init\(\)\|INFO\|unknown /;
const RUN_LINE = /\|ParallelRunStep\|run\(\)\|INFO\|run: 2 files$/;

/** One worker's entry-script log: where it is, its lines, and how many of them run() wrote. */
interface EntryScriptLog {
  readonly node: string;
  readonly file: string;
  readonly lines: string[];
  readonly runLines: number;
}

/**
 * Every entry-script log of the run, by node, then process name. A worker that ran a mini-batch had
 * finished init(); one still starting when the job ended was killed there, so its log may hold only
 * part of init()'s lines, or none (the file is created with the first line's write).
 */
async function entryScriptLogs(runDir: string): Promise<EntryScriptLog[]> {
  const root = join(runDir, 'logs', 'user', 'entry_script_log');
  const logs: EntryScriptLog[] = [];
  for (const node of (await readdir(root)).sort()) {
    for (const file of (await readdir(join(root, node))).sort()) {
      const lines = await logLines(runDir, 'user', 'entry_script_log', node, file);
      logs.push({ node, file, lines, runLines: lines.filter((line) => RUN_LINE.test(line)).length });
    }
  }
  return logs;
}
