import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import type { AnnotationDto, CompareDto } from '../../main/contract';
import { labCall, runs, shot } from './helpers';
import { dropFiles, stateEvent } from './postmortem-helpers';

/**
 * The post-mortem workflow (issue 5) end to end: one-click pair, compare view, first divergence,
 * alignment and deep links, replay and verify, annotations, export, a bad file dropped on the
 * archive. The suite runs its files in name order against one archive, so this file (which runs
 * before serve.spec.ts) relies on no run it did not make and deletes its own runs at the end.
 */
test.describe.configure({ mode: 'serial' });

let before = new Set<string>();
let pair: { a: string; b: string } | null = null;

test.beforeAll(async ({ request }) => {
  before = new Set((await runs(request)).map((r) => r.id));
});

test.afterAll(async ({ request }) => {
  for (const r of await runs(request)) if (!before.has(r.id)) await labCall(request, 'deleteRun', r.id);
});

/** The compare view of the pair, straight from its URL. */
async function openCompare(page: Page, query = ''): Promise<void> {
  expect(pair, 'the pair test ran first').not.toBeNull();
  await page.goto(`/#/compare/${encodeURIComponent(pair!.a)}/${encodeURIComponent(pair!.b)}${query}`);
  await expect(page.getByRole('table', { name: 'Metric diff' })).toBeVisible();
}

test('one click runs the pair from the form, shows both progressing, then compares them', async ({ page, request }) => {
  await page.goto('/#/new');
  await page.locator('#scenario').selectOption('oom-bound-victim');
  await page.locator('#param-dmaStopMs').fill('5000');
  await page.getByRole('button', { name: 'Compare mm_exit vs quiet' }).click();
  const progress = page.getByRole('region', { name: 'Pair progress' });
  const diff = page.getByRole('table', { name: 'Metric diff' });
  await expect(progress.or(diff).first()).toBeVisible();
  if (await progress.isVisible()) {
    await expect(progress.getByText('mm_exit', { exact: true })).toBeVisible();
    await expect(progress.getByText('quiet', { exact: true })).toBeVisible();
    await shot(page, 'pm-01-pair-progress');
  }
  await expect(diff).toBeVisible({ timeout: 60_000 });
  const m = /#\/compare\/([^/?]+)\/([^/?]+)/.exec(page.url());
  expect(m).not.toBeNull();
  pair = { a: decodeURIComponent(m![1]), b: decodeURIComponent(m![2]) };
  const list = await runs(request);
  expect(list.find((r) => r.id === pair!.a)?.model).toBe('mm_exit');
  expect(list.find((r) => r.id === pair!.b)?.model).toBe('quiet');

  // release() latency first, then the innocent victim the quiet design does not have.
  const rows = diff.locator('tbody tr');
  await expect(rows.first()).toContainText('release() latency');
  await expect(rows.first()).toContainText('5 s');
  await expect(rows.first()).toContainText(/−99\.99\d* %/);
  const innocent = rows.filter({ hasText: 'innocentVictims' });
  await expect(innocent).toHaveCount(1);
  await expect(innocent.locator('td').nth(0)).toHaveText('1');
  await expect(innocent.locator('td').nth(1)).toHaveText('0');
  // Each metric says what it means on hover.
  expect(await innocent.getAttribute('title')).toMatch(/OOM kills made while an earlier victim/);
  // Both timelines, on one axis aligned at the trigger, with the lanes that differ named.
  await expect(page.getByRole('region', { name: 'Timeline A: mm_exit' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Timeline B: quiet' })).toBeVisible();
  await expect(page.getByText(/lanes? differ in view/)).toBeVisible();
  const viaApi = await labCall<CompareDto>(request, 'compareRuns', pair.a, pair.b);
  expect(viaApi.metrics[0].name).toBe('releaseLatencyNs.max');
  await page.waitForTimeout(800);
  await shot(page, 'pm-02-compare');
});

test('jump to the first divergence moves both cursors there and says what differs', async ({ page, request }) => {
  await openCompare(page);
  const d = (await labCall<CompareDto>(request, 'compareRuns', pair!.a, pair!.b)).firstDivergence;
  expect(d).not.toBeNull();
  await page.getByRole('button', { name: 'Jump to first divergence' }).click();
  const note = page.getByRole('status', { name: 'First divergence' });
  await expect(note).toContainText(`First divergence at event ${d!.seq}`);
  await expect(note).toContainText(d!.explanation);
  const paneA = page.getByRole('region', { name: 'Timeline A: mm_exit' });
  const paneB = page.getByRole('region', { name: 'Timeline B: quiet' });
  if (d!.a) await expect(paneA.getByText(`event ${d!.a.seq}`)).toBeVisible();
  if (d!.b) await expect(paneB.getByText(`event ${d!.b.seq}`)).toBeVisible();
  await page.waitForTimeout(800);
  await shot(page, 'pm-03-divergence');
});

test('aligns at a chosen event, and the URL opens the pair at the same place', async ({ page }) => {
  await openCompare(page);
  await page.getByLabel('Align the runs at').selectOption('oom_kill');
  await expect(page).toHaveURL(/align=oom_kill/);
  // Zoom in, so the link carries a window, then scrub the cursor on A's ruler.
  const paneA = page.getByRole('region', { name: 'Timeline A: mm_exit' });
  await paneA.getByRole('button', { name: /^Zoom in/ }).click();
  await paneA.getByRole('button', { name: /^Zoom in/ }).click();
  await expect(page).toHaveURL(/from=-?\d+&to=-?\d+/);
  const url = page.url();
  const q = new URL(url.replace('#/', '/')).searchParams;
  await page.goto('about:blank');
  await page.goto(url);
  await expect(page.getByLabel('Align the runs at')).toHaveValue('oom_kill');
  await expect(page).toHaveURL(new RegExp(`from=${q.get('from')}&to=${q.get('to')}`));
  await expect(page.getByRole('region', { name: 'Timeline A: mm_exit' })).toBeVisible();
  // The run view's link: a time and a window (a fresh page, as when the link is opened).
  await page.goto('about:blank');
  await page.goto(`/#/run/${encodeURIComponent(pair!.a)}?t=300000000&from=250000000&to=350000000`);
  await expect(page.getByText('cursor 300 ms', { exact: true })).toBeVisible();
  await page.waitForTimeout(600);
  await shot(page, 'pm-04-deep-link-run');
});

test('the archive compares two ticked runs', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('checkbox', { name: new RegExp(`^Pick oom-bound-victim \\(quiet`) }).first().check();
  await page.getByRole('checkbox', { name: new RegExp(`^Pick oom-bound-victim \\(mm_exit`) }).first().check();
  await page.getByRole('button', { name: 'Compare the two ticked runs' }).click();
  await expect(page.getByRole('table', { name: 'Metric diff' })).toBeVisible();
  // The mm_exit run is A (the reference) whichever was ticked first.
  await expect(page.getByRole('heading', { name: /A mm_exit vs B quiet/ })).toBeVisible();
});

test('replay advances the cursor and the state panel follows; re-run and verify matches the digest', async ({ page }) => {
  await page.goto(`/#/run/${encodeURIComponent(pair!.a)}`);
  const readout = page.getByText(/^cursor /).first();
  await expect(readout).toBeVisible();
  await expect.poll(() => stateEvent(page)).toBeGreaterThan(0);
  const t0 = await readout.textContent();
  const e0 = await stateEvent(page);
  await page.getByLabel('Replay speed').selectOption({ label: '×1' });
  await page.getByRole('button', { name: 'Play the replay' }).click();
  await page.waitForTimeout(1500);
  await page.getByRole('button', { name: 'Pause the replay' }).click();
  const t1 = await readout.textContent();
  expect(t1).not.toBe(t0);
  await expect.poll(() => stateEvent(page)).toBeGreaterThan(e0);
  await shot(page, 'pm-05-replay');
  // Event by event: the cursor sits on consecutive events.
  await page.getByLabel('Replay speed').selectOption({ label: 'event by event' });
  await page.getByRole('button', { name: 'Play the replay' }).click();
  await expect(readout).toContainText(/event \d+/);
  const s1 = Number(/event (\d+)/.exec((await readout.textContent()) ?? '')?.[1]);
  await expect.poll(async () => Number(/event (\d+)/.exec((await readout.textContent()) ?? '')?.[1])).toBeGreaterThan(s1);
  await page.getByRole('button', { name: 'Pause the replay' }).click();

  await page.getByRole('button', { name: 'Re-run and verify' }).click();
  await expect(page.getByRole('status', { name: 'Verification' })).toContainText('Digest matches', { timeout: 60_000 });
});

test('a bookmark and a note survive a reload, are jumped to, travel in the SQLite export, and go', async ({ page, request }) => {
  await page.goto(`/#/run/${encodeURIComponent(pair!.a)}`);
  const canvas = page.getByRole('application').first();
  await expect(canvas).toBeVisible();
  await canvas.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  const readout = page.getByText(/^cursor /).first();
  await expect(readout).toContainText(/event \d+/);
  // Each key moves the cursor through a server round trip: read the readout once it has settled.
  let settled = '';
  for (let prev = null as string | null; settled !== prev; ) {
    prev = settled;
    await page.waitForTimeout(400);
    settled = (await readout.textContent()) ?? '';
  }
  const seq = Number(/event (\d+)/.exec(settled)?.[1]);
  await page.getByLabel('Kind of annotation').selectOption('note');
  await page.getByLabel('Annotation text').fill('the innocent victim starts here');
  await page.getByRole('button', { name: 'Add at cursor' }).click();
  const list = page.getByRole('list', { name: 'Annotations' });
  await expect(list).toContainText('the innocent victim starts here');
  await page.getByRole('button', { name: 'Last event (End)' }).click();
  await expect(readout).not.toContainText(`event ${seq}`);
  await page.getByLabel('Kind of annotation').selectOption('bookmark');
  await page.getByLabel('Annotation text').fill('the end');
  await page.getByRole('button', { name: 'Add at cursor' }).click();
  await expect(list.getByRole('listitem')).toHaveCount(2);

  await page.reload();
  await expect(list.getByRole('listitem')).toHaveCount(2);
  await expect(list).toContainText('the innocent victim starts here');
  // Listed by time: the note, then the bookmark at the last event.
  await expect(list.getByRole('listitem').first()).toContainText('the innocent victim starts here');
  await list.getByRole('button', { name: /^Jump to note 'the innocent victim starts here'/ }).click();
  await expect(readout).toContainText(`event ${seq}`);
  await page.waitForTimeout(500);
  await shot(page, 'pm-06-annotations');
  const saved = await labCall<AnnotationDto[]>(request, 'listAnnotations', pair!.a);
  expect(saved.map((a) => [a.kind, a.text, a.seq])).toContainEqual(['note', 'the innocent victim starts here', seq]);

  // The SQLite export is the trace file itself, annotations included.
  const dl = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as SQLite' }).click();
  const file = await dl;
  expect(file.suggestedFilename()).toBe(pair!.a);
  const bytes = fs.readFileSync(await file.path());
  expect(bytes.subarray(0, 15).toString()).toBe('SQLite format 3');
  expect(bytes.includes(Buffer.from('the innocent victim starts here'))).toBe(true);

  // CSV downloads too.
  const csv = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as CSV' }).click();
  expect((await csv).suggestedFilename()).toMatch(/\.csv$/);

  await list.getByRole('button', { name: "Delete bookmark 'the end'" }).click();
  await expect(list.getByRole('listitem')).toHaveCount(1);
  await page.reload();
  await expect(list.getByRole('listitem')).toHaveCount(1);
});

test('annotations appear as instant events in the Chrome JSON export', async ({ page }) => {
  await page.goto(`/#/run/${encodeURIComponent(pair!.a)}`);
  await expect(page.getByRole('list', { name: 'Annotations' })).toContainText('the innocent victim starts here');
  const dl = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as Chrome JSON' }).click();
  const file = await dl;
  expect(file.suggestedFilename()).toMatch(/\.json$/);
  const json = JSON.parse(fs.readFileSync(await file.path(), 'utf8')) as { traceEvents: { name?: string; ph?: string; args?: Record<string, unknown> }[] };
  const hit = json.traceEvents.find((e) => (e.ph === 'i' || e.ph === 'I') && JSON.stringify(e).includes('the innocent victim starts here'));
  expect(hit, 'the note as an instant event').toBeTruthy();
});

test('a bad file dropped on the archive gets one clear message and nothing is added', async ({ page, request }) => {
  await page.goto('/');
  await expect(page.getByRole('grid', { name: 'Recorded runs' })).toBeVisible();
  const n = (await runs(request)).length;
  await dropFiles(page, 'section.archive', [{ name: 'dropped-junk.sqlite', text: 'this is not SQLite either' }]);
  await expect(page.getByText(/dropped-junk\.sqlite was not imported: .*not an SQLite database/)).toBeVisible();
  await shot(page, 'pm-07-bad-drop');
  expect((await runs(request)).length).toBe(n);
});
