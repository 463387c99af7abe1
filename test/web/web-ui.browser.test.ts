/**
 * The web UI in a real headless Chromium (Debian's `chromium`, driven by playwright-core), over real
 * processes: `parajob coordinator`, a `parajob node`, jobs submitted with `parajob job create`. The
 * jobs list shows a finished and a running job; the job page draws the three-step pipeline with its
 * edges; the parallel step's Settings show the values in force; Outputs + logs opens job_result.txt;
 * the Mini-batches tab lists the attempts, and updates while a parallel job runs; the Timeline draws them per node and process and a bar opens
 * its mini-batch; the Metrics tab charts them and the node's resource monitor samples; Cancel in the UI
 * cancels the running job, while a viewer token's page offers no Cancel (and the API refuses it); the
 * pages fit a phone-sized window and read in dark as in light; without the token the page shows the
 * login form and the API answers 401. Every page is photographed into $PARAJOB_SCREENSHOTS (default:
 * a temp dir); `npm run screenshots` runs this test with web/screenshots/, the README's pictures.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, type CliProcess, killAllCli, runCli, spawnCli, startNodesCli } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';

const CHROMIUM = process.env.PARAJOB_CHROMIUM ?? '/usr/bin/chromium';
const WAIT_MS = 30_000;
const PHONE = { width: 390, height: 844 } as const;

/** The page scrolls only up and down: wide tables and charts scroll inside their own boxes. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  // Run in the page (a string: the test's TypeScript knows no DOM).
  const widths = await page.evaluate<{ page: number; window: number }>(
    '({ page: document.documentElement.scrollWidth, window: window.innerWidth })',
  );
  expect(widths.page, `page ${page.url()} is wider than its window`).toBeLessThanOrEqual(widths.window);
}

/** The page's background and text colours (computed), to tell light from dark. */
function colours(page: Page): Promise<{ background: string; text: string }> {
  return page.evaluate<{ background: string; text: string }>(
    '({ background: getComputedStyle(document.body).backgroundColor, text: getComputedStyle(document.body).color })',
  );
}

/** Submits `file` with `parajob job create`; resolves with the job id. */
async function createJob(address: string, file: string, runDir: string): Promise<string> {
  const created = await runCli(['job', 'create', '--file', file, '--coordinator', address, '--run-dir', runDir]);
  expect(created.exit?.code, created.describeOutput()).toBe(0);
  return created.stdoutLines.at(-1) as string;
}

describe('the web UI in a real browser', () => {
  let dir: string;
  let shots: string;
  let browser: Browser;
  let page: Page;
  let webUrl: string;
  let pipelineJob: string;
  let runningJob: string;
  let coordinator: CliProcess;
  let address: string;

  beforeAll(async () => {
    assertBuilt();
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set PARAJOB_CHROMIUM`);
    }
    dir = await makeTempDir('parajob-web-ui-');
    shots = process.env.PARAJOB_SCREENSHOTS ?? join(dir, 'screenshots');
    await mkdir(shots, { recursive: true });
    coordinator = spawnCli([
      'coordinator',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--http-port',
      '0',
      '--data-dir',
      join(dir, 'data'),
    ]);
    address = `127.0.0.1:${(await coordinator.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]}`;
    webUrl = (await coordinator.waitFor(/parajob web UI at (\S+)/))[1] as string;
    await startNodesCli(address, ['ui-node'], { dir, compute: 'cpu-cluster' });

    pipelineJob = await createJob(address, 'examples/pipeline/pipeline.yml', join(dir, 'pipeline-run'));
    const followed = await runCli(['job', 'stream', pipelineJob, '--coordinator', address], { timeoutMs: 120_000 });
    expect(followed.exit?.code, followed.describeOutput()).toBe(0);

    // A job that runs until the test cancels it (bounded: it gives up after 60 s on its own).
    const marker = join(dir, 'never');
    await writeFile(
      join(dir, 'wait.yml'),
      `type: command
name: waiting
compute: azureml:cpu-cluster
command: 'i=0; while [ ! -f ${marker} ] && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done'
`,
    );
    runningJob = await createJob(address, join(dir, 'wait.yml'), join(dir, 'wait-run'));

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await killAllCli();
  });

  it('lists a finished and a running job', async () => {
    await page.goto(webUrl);
    // The token is traded for a cookie and dropped from the address bar.
    expect(new URL(page.url()).search).toBe('');
    // Light unless the system asks for dark (the next tests ask).
    expect(await colours(page)).toEqual({ background: 'rgb(255, 255, 255)', text: 'rgb(27, 31, 36)' });
    await page.locator(`#jobs tr[data-job="${pipelineJob}"][data-state="succeeded"]`).waitFor();
    await page.locator(`#jobs tr[data-job="${runningJob}"][data-state="running"]`).waitFor();
    await expect
      .poll(() => page.locator(`#jobs tr[data-job="${pipelineJob}"]`).innerText())
      .toContain('parajob-examples');
    // The node's CPU comes with its heartbeats (src/monitor/host-sampler.ts).
    await page
      .locator('#nodes tr[data-node] td', { hasText: /^\d+%$/ })
      .first()
      .waitFor();
    await expectNoSidewaysScroll(page);
    await page.screenshot({ path: join(shots, 'jobs.png'), fullPage: true });
  });

  it('draws the three-step pipeline with its edges, and shows the parallel step’s settings', async () => {
    await page.click(`#jobs tr[data-job="${pipelineJob}"] a`);
    await page.locator('#graph g.box').nth(2).waitFor();
    const boxes = await page
      .locator('#graph g.box')
      .evaluateAll((nodes) => nodes.map((node) => [node.getAttribute('data-step'), node.getAttribute('data-state')]));
    expect(boxes).toEqual([
      ['prepare', 'succeeded'],
      ['score', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    const edges = await page
      .locator('#graph path.edge')
      .evaluateAll((nodes) => nodes.map((node) => `${node.getAttribute('data-from')}→${node.getAttribute('data-to')}`));
    expect(edges).toEqual(['prepare→score', 'score→report']);
    await page.screenshot({ path: join(shots, 'job-graph.png'), fullPage: true });

    await page.click('#graph g.box[data-step="score"]');
    await page.click('button[data-tab="settings"]');
    const settings = page.locator('#settings-table');
    await settings.waitFor();
    const rows = await settings
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual(
      expect.arrayContaining([
        ['mini_batch_size', '4', 'YAML'],
        ['max_concurrency_per_instance', '2', 'YAML'],
        ['retry_settings.max_retries', '2', 'default'],
        ['compute', 'cpu-cluster', 'pipeline settings'],
      ]),
    );
    await page.screenshot({ path: join(shots, 'step-settings.png'), fullPage: true });
  });

  it('opens job_result.txt in Outputs + logs, and lists the attempts in Mini-batches', async () => {
    await page.click('button[data-tab="outputs"]');
    const viewer = page.locator('pre[data-file="steps/score/logs/job_result.txt"]');
    await viewer.waitFor();
    expect(await viewer.innerText()).toMatch(/succeeded/i);
    await page.screenshot({ path: join(shots, 'step-outputs.png'), fullPage: true });

    await page.click('button[data-tab="mini-batches"]');
    const attempts = page.locator('#attempts tbody tr');
    await expect.poll(() => attempts.count(), { timeout: WAIT_MS }).toBe(3);
    expect(await page.locator('#mini-batches [data-count="succeeded"] b').innerText()).toBe('3');
    await page.screenshot({ path: join(shots, 'step-mini-batches.png'), fullPage: true });
  });

  it('draws the attempts on the Timeline, and a bar opens its mini-batch', async () => {
    await page.click('button[data-tab="timeline"]');
    const bars = page.locator('#timeline rect.seg[data-status="done"]');
    await expect.poll(() => bars.count(), { timeout: WAIT_MS }).toBe(3);
    // Two processors on the node: each lane is the node and a process.
    const lanes = await page
      .locator('#timeline svg text')
      .evaluateAll((texts) => texts.map((text) => text.textContent ?? ''));
    expect(lanes.filter((lane) => lane.startsWith('ui-node p')).length).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(shots, 'step-timeline.png'), fullPage: true });
    const first = await bars.first().getAttribute('data-mini-batch');
    await bars.first().dispatchEvent('click');
    await page.locator('#mini-batch-filter').waitFor();
    const ids = await page.locator('#attempts tbody tr td:first-child').allInnerTexts();
    expect(ids).toEqual([first]);
    await page.click('#attempts a[data-log^="logs/user/entry_script_log/"]');
    await page.locator('#file-view b', { hasText: /entry_script_log\/ui-node\/process00\d\.log\.txt$/ }).waitFor();
  });

  it('charts throughput, endings, run() time and the node’s resources on the Metrics tab', async () => {
    await page.click('button[data-tab="metrics"]');
    // A short job may fit one time bucket: a one-point line is a dot, so wait for the elements, not their size.
    const attached = { state: 'attached' } as const;
    await page.locator('#metrics figure[data-chart="throughput"] path.line').waitFor(attached);
    expect(await page.locator('#metrics figure[data-chart="status"] rect.seg.s-done').count()).toBeGreaterThan(0);
    await page.locator('#metrics figure[data-chart="latency"] path.line').first().waitFor(attached);
    // The node wrote its resource monitor sample as it left the step (logs/sys/perf/ui-node/).
    await page.locator('#perf-charts figure[data-chart="cpu"] [data-series="ui-node"]').waitFor(attached);
    await page.locator('#perf-charts figure[data-chart="network"]').waitFor();
    expect(await page.locator('[data-gpu-note="ui-node"]').innerText()).toMatch(/nvidia-smi not found/);
    await page.screenshot({ path: join(shots, 'step-metrics.png'), fullPage: true });
  });

  it('fits a phone-sized window, in dark: the jobs list and every tab of a step', async () => {
    const context = await browser.newContext({ viewport: PHONE, colorScheme: 'dark' });
    try {
      const phone = await context.newPage();
      phone.setDefaultTimeout(WAIT_MS);
      await phone.goto(webUrl);
      await phone.locator(`#jobs tr[data-job="${pipelineJob}"]`).waitFor();
      expect(await colours(phone)).toEqual({ background: 'rgb(13, 17, 23)', text: 'rgb(230, 237, 243)' });
      await expectNoSidewaysScroll(phone);
      await phone.screenshot({ path: join(shots, 'phone-dark-jobs.png'), fullPage: true });
      await phone.goto(`${new URL(webUrl).origin}/#/jobs/${pipelineJob}/score`);
      await phone.locator('#graph g.box').nth(2).waitFor();
      await expectNoSidewaysScroll(phone);
      for (const [tab, shown] of [
        ['settings', '#settings-table'],
        ['outputs', 'pre[data-file]'],
        ['mini-batches', '#attempts'],
        ['timeline', '#timeline rect.seg'],
        ['metrics', '#metrics figure[data-chart="throughput"]'],
      ] as const) {
        await phone.click(`button[data-tab="${tab}"]`);
        await phone.locator(shown).first().waitFor({ state: 'attached' });
        await expectNoSidewaysScroll(phone);
        await phone.screenshot({ path: join(shots, `phone-dark-${tab}.png`), fullPage: true });
      }
    } finally {
      await context.close();
    }
  });

  it('offers a viewer token no Cancel: its page says read-only and the API refuses the cancel', async () => {
    const made = await runCli(['token', 'create', '--role', 'viewer', '--data-dir', join(dir, 'data')]);
    expect(made.exit?.code, made.describeOutput()).toBe(0);
    const origin = new URL(webUrl).origin;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const viewer = await context.newPage();
      viewer.setDefaultTimeout(WAIT_MS);
      await viewer.goto(`${origin}/?token=${encodeURIComponent(made.stdoutLines.at(-1) as string)}`);
      await viewer.goto(`${origin}/#/jobs/${runningJob}`);
      await viewer.locator('#job-page h2 [data-state="running"]').waitFor();
      await viewer.locator('#job-page h2 #read-only').waitFor();
      expect(await viewer.locator('#cancel, #rerun').count()).toBe(0);
      expect(await (await viewer.request.get(`${origin}/api/session`)).json()).toEqual({
        role: 'viewer',
        mayChange: false,
      });
      const refused = await viewer.request.post(`${origin}/api/jobs/${runningJob}/cancel`, { headers: { origin } });
      expect(refused.status()).toBe(403);
      await viewer.screenshot({ path: join(shots, 'job-viewer.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('updates the Mini-batches tab while a parallel job runs, without reloading the page', async () => {
    // Two mini-batches on one process: the first returns, the second waits for the gate file.
    const gate = join(dir, 'gate-open');
    await mkdir(join(dir, 'gated', 'data'), { recursive: true });
    await mkdir(join(dir, 'gated', 'code'), { recursive: true });
    for (const name of ['a.txt', 'b.txt']) await writeFile(join(dir, 'gated', 'data', name), `${name}\n`);
    await writeFile(
      join(dir, 'gated', 'code', 'gate.mjs'),
      `import { existsSync } from 'node:fs';
let calls = 0;
export async function run(miniBatch) {
  calls += 1;
  // Bounded: a test that never opens the gate fails on its own wait, not on a hung job.
  for (let i = 0; calls > 1 && i < 600 && !existsSync(${JSON.stringify(gate)}); i++) await new Promise((r) => setTimeout(r, 100));
  return miniBatch.map(String);
}
`,
    );
    const spec = join(dir, 'gated', 'job.yml');
    await writeFile(
      spec,
      parallelJobYaml({ compute: 'cpu-cluster', miniBatchSize: '"1"', entryScript: 'gate.mjs', timeoutS: 120 }),
    );
    const gated = await createJob(address, spec, join(dir, 'gated-run'));
    await page.goto(`${new URL(webUrl).origin}/#/jobs/${gated}`);
    await page.click('button[data-tab="mini-batches"]');
    const count = (label: string) => page.locator(`#mini-batches [data-count="${label}"] b`);
    await expect.poll(() => count('succeeded').innerText(), { timeout: WAIT_MS }).toBe('1');
    await expect.poll(() => count('running').innerText(), { timeout: WAIT_MS }).toBe('1');
    await page.screenshot({ path: join(shots, 'step-mini-batches-running.png'), fullPage: true });
    // A mark on this page: a reload would drop it.
    await page.evaluate('window.parajobSamePage = true');
    await writeFile(gate, '');
    await expect.poll(() => count('succeeded').innerText(), { timeout: WAIT_MS }).toBe('2');
    expect(await count('running').innerText()).toBe('0');
    await expect.poll(() => page.locator('#attempts tbody tr').count(), { timeout: WAIT_MS }).toBe(2);
    expect(await page.evaluate('window.parajobSamePage')).toBe(true);
  });

  it('cancels the running job from its page', async () => {
    await page.goto(`${new URL(webUrl).origin}/#/jobs/${runningJob}`);
    await page.click('#cancel');
    await page.locator('#job-page h2 [data-state="cancelled"]').waitFor();
    // An ended job that did not succeed offers a rerun instead of a cancel.
    await page.locator('#job-page h2 button#rerun').waitFor();
    expect(await page.locator('#cancel').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'job-cancelled.png'), fullPage: true });
  });

  it('shows the login form without the token, and the API answers 401', async () => {
    const stranger = await browser.newPage({ viewport: PHONE });
    const origin = new URL(webUrl).origin;
    await stranger.goto(origin);
    await stranger.locator('#login input#token').waitFor({ timeout: WAIT_MS });
    await expectNoSidewaysScroll(stranger);
    await stranger.screenshot({ path: join(shots, 'login.png') });
    for (const path of ['/api/jobs', '/api/session', '/metrics'])
      expect((await stranger.request.get(`${origin}${path}`)).status(), path).toBe(401);
    await stranger.close();
  });
});
