// `npm run screenshots`: the README's pictures of the web UI, taken by a real headless Chromium
// (Debian's `chromium`, or $PARAJOB_CHROMIUM) over real processes: a coordinator, two nodes, the
// three-step example pipeline and a parallel job with retries, failures and the resource monitor on
// (--resource_monitor_interval 1). Writes web/screenshots/*.png. Needs `npm run build` first.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'web', 'screenshots');
const browserPath = process.env.PARAJOB_CHROMIUM ?? '/usr/bin/chromium';
const WAIT_MS = 120_000;
const children = [];

/** Starts `parajob ...args`; `waitFor(re)` resolves with the first stdout/stderr match (bounded). */
function parajob(args) {
  const child = spawn(process.execPath, [join(root, 'bin', 'parajob.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  const listeners = new Set();
  const onData = (chunk) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(text);
        if (match === null) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(match);
      };
      const timer = setTimeout(() => reject(new Error(`parajob ${args[0]}: no ${pattern} in:\n${text}`)), WAIT_MS);
      listeners.add(check);
      check();
    });
  return { child, waitFor, exited, output: () => text };
}

/** The parallel job: 60 mini-batches of 2 files; a few fail once (retried), one always fails. */
async function writeBusyJob(dir) {
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'code'), { recursive: true });
  await mkdir(join(dir, 'marks'), { recursive: true });
  for (let i = 0; i < 120; i++) await writeFile(join(dir, 'data', `doc-${String(i).padStart(3, '0')}.txt`), `${i}\n`);
  await writeFile(
    join(dir, 'code', 'score.mjs'),
    `import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
const marks = process.env.MARKS;
export function init() {}
export async function run(miniBatch) {
  await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 250));
  const names = miniBatch.map((file) => basename(file));
  if (names.includes('doc-077.txt')) throw new Error('doc-077.txt is not a document');
  for (const name of names) {
    const mark = join(marks, name);
    if (/doc-0[0-9]3\\.txt/.test(name) && !existsSync(mark)) {
      writeFileSync(mark, '');
      throw new Error('a flaky service: try again');
    }
  }
  return names.map((name) => name + ' ok');
}
`,
  );
  await writeFile(
    join(dir, 'busy.yml'),
    `type: parallel
name: score-documents
experiment_name: screenshots
compute: azureml:cpu-cluster
inputs:
  data: { type: uri_folder, path: ./data }
outputs:
  scores: { type: uri_file }
input_data: \${{inputs.data}}
mini_batch_size: "2"
resources:
  instance_count: 2
max_concurrency_per_instance: 2
mini_batch_error_threshold: -1
retry_settings:
  max_retries: 1
  timeout: 30
environment_variables:
  MARKS: ${join(dir, 'marks')}
task:
  type: run_function
  code: ./code
  entry_script: score.mjs
  program_arguments: --resource_monitor_interval 1 --error_threshold -1
  append_row_to: \${{outputs.scores}}
`,
  );
}

async function createJob(address, file, runDir) {
  const created = parajob(['job', 'create', '--file', file, '--coordinator', address, '--run-dir', runDir]);
  const code = await created.exited;
  if (code !== 0) throw new Error(`job create ${file} failed:\n${created.output()}`);
  return created.output().trim().split('\n').at(-1);
}

async function main() {
  if (!existsSync(browserPath))
    throw new Error(`no browser at ${browserPath}: apt-get install chromium, or set PARAJOB_CHROMIUM`);
  const dir = await mkdtemp(join(tmpdir(), 'parajob-screenshots-'));
  await mkdir(out, { recursive: true });
  const coordinator = parajob([
    'coordinator',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--http-port',
    '0',
    '--data-dir',
    join(dir, 'data-dir'),
  ]);
  const address = `127.0.0.1:${(await coordinator.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]}`;
  const webUrl = (await coordinator.waitFor(/parajob web UI at (\S+)/))[1];
  const nodes = ['node-a', 'node-b'].map((name) =>
    parajob([
      'node',
      '--coordinator',
      address,
      '--name',
      name,
      '--compute',
      'cpu-cluster',
      '--cache-dir',
      join(dir, `cache-${name}`),
    ]),
  );
  await Promise.all(nodes.map((node) => node.waitFor(/attached to/)));

  const pipeline = await createJob(
    address,
    join(root, 'examples', 'pipeline', 'pipeline.yml'),
    join(dir, 'pipeline-run'),
  );
  await writeBusyJob(dir);
  const busy = await createJob(address, join(dir, 'busy.yml'), join(dir, 'busy-run'));

  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(WAIT_MS);
    await page.goto(webUrl);
    const origin = new URL(webUrl).origin;

    // While the busy job runs: its timeline, with running bars.
    await page.goto(`${origin}/#/jobs/${busy}`);
    await page.click('button[data-tab="timeline"]');
    await page.locator('#timeline rect.seg[data-status="done"]').nth(10).waitFor({ state: 'attached' });
    await page.screenshot({ path: join(out, 'timeline.png'), fullPage: true });

    // Once everything ended: the jobs list, the pipeline graph with its settings, the metrics.
    await page.goto(origin);
    await page.locator(`#jobs tr[data-job="${busy}"]:not([data-state="running"])`).waitFor();
    await page.locator(`#jobs tr[data-job="${pipeline}"][data-state="succeeded"]`).waitFor();
    await page.screenshot({ path: join(out, 'jobs.png') });

    await page.goto(`${origin}/#/jobs/${pipeline}/score`);
    await page.click('button[data-tab="settings"]');
    await page.locator('#settings-table').waitFor();
    await page.screenshot({ path: join(out, 'pipeline.png') });

    await page.goto(`${origin}/#/jobs/${busy}`);
    await page.click('button[data-tab="timeline"]');
    await page.locator('#timeline rect.seg[data-status="failed"]').first().waitFor({ state: 'attached' });
    await page.screenshot({ path: join(out, 'timeline-done.png'), fullPage: true });
    await page.click('button[data-tab="metrics"]');
    await page.locator('#perf-charts figure[data-chart="cpu"]').waitFor();
    await page.screenshot({ path: join(out, 'metrics.png'), fullPage: true });
    process.stdout.write(`screenshots written to ${out}\n`);
  } finally {
    await browser.close();
    for (const child of children) child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  for (const child of children) child.kill();
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
