// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setLab } from '../../../renderer/src/api/lab';
import ArchiveScreen from '../../../renderer/src/components/ArchiveScreen.vue';
import { sweepOfRunFile, sweepRunFileName } from '../../../main/lab/names';
import type { RunListItem } from '../../../main/contract';
import { groupRuns } from '../../../renderer/src/util/archiveRows';
import { createFakeLab, STORY_RUNS, type FakeLab, type FakeRun } from '../fakeLab';

let lab: FakeLab;
let pinia: Pinia;
let wrapper: VueWrapper | null = null;

/** A copy of a recorded run under another file name and creation time (a sweep's run, a pair's, a re-import), listed as the lab lists that file. */
function copyAs(src: FakeRun, id: string, created: string): FakeRun {
  return { ...src, item: { ...src.item, id, created, sweep: sweepOfRunFile(id) }, info: { ...src.info, id } };
}

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  lab = createFakeLab({ runs: STORY_RUNS });
  const [quiet, mmExit] = [lab.runs.find((r) => r.item.model === 'quiet'), lab.runs.find((r) => r.item.model === 'mm_exit')] as FakeRun[];
  // A sweep of three runs, a pair started together (seconds apart), a re-imported copy of the quiet run.
  for (let p = 0; p < 3; p++) lab.runs.push(copyAs(p % 2 ? quiet : mmExit, `20261124-100000-oom-bound-victim-p${p}-${p % 2 ? 'quiet' : 'mm_exit'}-s1.sqlite`, `2026-11-24T10:00:0${p}Z`));
  lab.runs.push(copyAs(mmExit, '20261125-090000-pair-mm_exit-s1.sqlite', '2026-11-25T09:00:00Z'));
  lab.runs.push(copyAs(quiet, '20261125-090000-pair-quiet-s1.sqlite', '2026-11-25T09:00:01Z'));
  setLab(lab);
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

async function mountArchive(): Promise<VueWrapper> {
  wrapper = mount(ArchiveScreen, { global: { plugins: [pinia] }, attachTo: document.body });
  await flushPromises();
  return wrapper;
}
const names = (w: VueWrapper) => w.findAll('tbody tr').map((tr) => (tr.classes('group-row') ? `[${tr.get('.group-toggle').text()}]` : (tr.find('.run-open').exists() ? tr.get('.sub').text().split(' · ')[1] : '')));

describe('the archive', () => {
  it('groups a sweep into one row that expands, and a pair started together into one open row', async () => {
    const w = await mountArchive();
    const rows = names(w);
    const sweep = rows.find((r) => r.includes('Sweep'));
    expect(sweep).toMatch(/▸ Sweep: 20261124-100000-oom-bound-victim/);
    expect(rows.filter((r) => r.includes('-p') && r.includes('20261124'))).toHaveLength(0);
    const pair = rows.findIndex((r) => r.includes('Pair'));
    expect(rows.slice(pair + 1, pair + 3)).toEqual(['20261125-090000-pair-mm_exit-s1.sqlite', '20261125-090000-pair-quiet-s1.sqlite']);
    await w.findAll('.group-toggle').find((b) => b.text().includes('Sweep'))?.trigger('click');
    expect(names(w).filter((r) => r.includes('20261124-100000'))).toHaveLength(4); // the group row and its three runs
    expect(w.find('.group-toggle[aria-expanded="true"]').exists()).toBe(true);
    // The pair's own button compares it.
    await w.findAll('button').find((b) => b.text() === 'Compare the pair')?.trigger('click');
    expect(w.emitted('compare')?.[0]).toEqual(['20261125-090000-pair-mm_exit-s1.sqlite', '20261125-090000-pair-quiet-s1.sqlite']);
  });

  it('sorts by any column, both ways, and says so to assistive technology', async () => {
    const w = await mountArchive();
    const header = (label: string) => w.findAll('thead th').find((th) => th.text().startsWith(label));
    await header('Events')?.get('button').trigger('click');
    expect(header('Events')?.attributes('aria-sort')).toBe('descending');
    // The runs standing alone, and each group's runs, in descending event count.
    const events = (trs: VueWrapper['element'][]) => trs.map((tr) => Number((tr as HTMLElement).querySelectorAll('td.num')[0].textContent?.replace(/,/g, '')));
    const alone = events(w.findAll('tbody tr').filter((tr) => !tr.classes('group-row') && !tr.classes('member')).map((t) => t.element));
    expect(alone.length).toBeGreaterThan(1);
    expect(alone).toEqual([...alone].sort((a, b) => b - a));
    await header('Events')?.get('button').trigger('click');
    expect(header('Events')?.attributes('aria-sort')).toBe('ascending');
    await header('Design')?.get('button').trigger('click');
    expect(header('Design')?.attributes('aria-sort')).toBe('ascending');
    const designs = w.findAll('tbody tr').filter((tr) => !tr.classes('group-row') && !tr.classes('member')).map((tr) => tr.get('.badge').text());
    expect(designs).toEqual([...designs].sort());
  });

  it('flags a re-imported duplicate by its digest', async () => {
    const w = await mountArchive();
    const dups = w.findAll('.dup').map((d) => d.text());
    expect(dups.length).toBeGreaterThan(0);
    for (const d of dups) expect(d).toMatch(/^Duplicate: the same events \(digest\) as \S+\.sqlite$/);
  });

  it('is one tab stop: arrow keys move between its controls', async () => {
    const w = await mountArchive();
    const stops = () => w.findAll('table button, table input').filter((b) => b.attributes('tabindex') === '0');
    expect(stops()).toHaveLength(1);
    const first = stops()[0];
    (first.element as HTMLElement).focus();
    await first.trigger('keydown', { key: 'ArrowDown' });
    expect(stops()).toHaveLength(1);
    expect(document.activeElement).toBe(stops()[0].element);
    expect(document.activeElement).not.toBe(first.element);
    await stops()[0].trigger('keydown', { key: 'End' });
    expect(document.activeElement?.textContent).toMatch(/Delete…|Compare the pair|mm_exit vs quiet/);
    await stops()[0].trigger('keydown', { key: 'Home' });
    await stops()[0].trigger('keydown', { key: 'ArrowUp' });
    expect(document.activeElement).toBe(first.element);
  });
});

describe('groupRuns', () => {
  it('knows a sweep run by its file name and leaves other runs alone', () => {
    expect(sweepOfRunFile('20261124-100000-oom-bound-victim-p12-quiet-s3.sqlite')).toBe('20261124-100000-oom-bound-victim');
    expect(sweepOfRunFile('20261123-201500-oom-bound-victim-mm_exit-s1.sqlite')).toBeNull();
    expect(groupRuns([], 'created', -1)).toEqual([]);
    // The inverse of the name a sweep gives its runs, whatever the point, design and seed.
    for (const [p, n, d, s] of [[0, 1, 'quiet', 1], [7, 12, 'mm_exit', 42], [99, 100, 'quiet', 2]] as const) {
      expect(sweepOfRunFile(sweepRunFileName('20261203-090000-pasid-lifetime-2', p, n, d, s))).toBe('20261203-090000-pasid-lifetime-2');
    }
  });

  it('groups the runs the lab lists as one sweep\'s into one row, whatever their names say', () => {
    const item = (id: string, sweep: string | null): RunListItem => ({ id, scenario: 'stress', model: 'quiet', seed: 1, params: {}, status: 'complete', created: '2026-12-03T09:00:00.000Z', events: 1, endTimeNs: 1, metrics: null, bytes: 1, sweep });
    const groups = groupRuns([item('a.sqlite', 'sw-1'), item('b.sqlite', 'sw-1'), item('c.sqlite', null)], 'created', -1);
    expect(groups.map((g) => [g.kind, g.runs.map((r) => r.id)])).toEqual([
      ['sweep', ['a.sqlite', 'b.sqlite']],
      ['run', ['c.sqlite']],
    ]);
  });
});
