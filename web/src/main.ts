/**
 * The web UI's entry: a hash router (`#/` jobs, `#/jobs/<id>[/<step>]` a job), one push channel per
 * page feeding the page in view, and the login form shown when the API answers 401. The session (the
 * credential's role) is asked on each page change: the cookie may have changed under the page.
 */
import type { JobRowView, JobView, SessionView } from '../../src/web/api-types.js';
import { getJson, openEvents, Unauthorized } from './api.js';
import { h, replace } from './dom.js';
import { JobPage } from './job-page.js';
import { JobsPage } from './jobs-page.js';

const app = document.getElementById('app') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;
let events: EventSource | undefined;

function loginPage(): HTMLElement {
  const input = h('input', { type: 'password', id: 'token', placeholder: 'token', 'aria-label': 'token' });
  return h(
    'section',
    { id: 'login' },
    h('h2', {}, 'Log in'),
    h('p', {}, 'Open the URL the coordinator printed at start, or paste its token (or a client token) here.'),
    h(
      'form',
      {
        onsubmit: (event) => {
          event.preventDefault();
          location.href = `/?token=${encodeURIComponent(input.value.trim())}`;
        },
      },
      input,
      ' ',
      h('button', { type: 'submit' }, 'Log in'),
    ),
  );
}

async function show(): Promise<void> {
  events?.close();
  const [, first, jobId, step] = location.hash.replace(/^#/, '').split('/').map(decodeURIComponent);
  try {
    // Who this credential is: a viewer's page offers no cancel or rerun (the API would refuse them).
    const session = await getJson<SessionView>('/api/session');
    if (first === 'jobs' && jobId !== undefined && jobId !== '') {
      const page = new JobPage(jobId, step, session);
      await page.load();
      replace(app, page.element);
      events = openEvents(jobId, {
        job: (data) => page.update(data as JobView),
        live: (on) => live.classList.toggle('on', on),
      });
    } else {
      const page = new JobsPage();
      await page.load();
      replace(app, page.element);
      events = openEvents(undefined, {
        jobs: (data) => page.update(data as JobRowView[]),
        live: (on) => live.classList.toggle('on', on),
      });
    }
  } catch (error) {
    if (error instanceof Unauthorized) replace(app, loginPage());
    else replace(app, h('p', { class: 'error' }, String(error instanceof Error ? error.message : error)));
  }
}

window.addEventListener('hashchange', () => void show());
void show();
