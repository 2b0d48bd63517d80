import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../main/lab/lab';
import { TraceReader } from '../../main/trace/reader';
import { altered, fingerprint, tempDir } from './helpers';

// The timeline index a finished recording stores (schema.ts timeline_index, timeline_stored.ts):
// what opening a run reads first, stored once instead of computed from the events at every open,
// and never trusted over the events: a row that is not a valid index of its file is ignored.
const home = tempDir('sva-lab-tlx-');
const lab = createLab(home);
let trace = '';

beforeAll(async () => {
  // A run with OOM kills, release() calls and several processes: alarms and process groups to store.
  trace = (await lab.record({ scenario: 'oom-bound-victim', params: { mmExit: true }, seed: 7 })).trace;
});

const storedRows = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT json FROM timeline_index').all() as { json: string }[];
  } finally {
    db.close();
  }
};
const computed = (file: string) => {
  const r = new TraceReader(file);
  try {
    return r.computedTimelineIndex();
  } finally {
    r.close();
  }
};
const opened = (file: string) => {
  const r = new TraceReader(file);
  try {
    return r.timelineIndex(r.tracks(), Math.max(1, r.meta().endTimeNs), false);
  } finally {
    r.close();
  }
};

describe('stored timeline index', () => {
  it('a finished recording stores one row: the index as computed from its events', () => {
    const rows = storedRows(trace);
    expect(rows).toHaveLength(1);
    const ix = computed(trace);
    expect(JSON.parse(rows[0].json)).toEqual(ix);
    expect(ix.alarms.some((a) => a.kind === 'oom_kill')).toBe(true);
    expect(ix.groups.some((g) => g.kind === 'process')).toBe(true);
  });

  it('opening reads the stored row (an edited, still valid row shows), and a trace without the table opens the same as with it', () => {
    const dir = tempDir();
    const renamed = altered(trace, dir, 'renamed.sqlite', (db) => {
      const ix = JSON.parse((db.prepare('SELECT json FROM timeline_index').get() as { json: string }).json);
      ix.groups[0].name = 'renamed in the file';
      db.prepare('UPDATE timeline_index SET json = ?').run(JSON.stringify(ix));
    });
    expect(opened(renamed).groups[0].name).toBe('renamed in the file');
    const old = altered(trace, dir, 'old.sqlite', (db) => db.exec('DROP TABLE timeline_index'));
    expect(opened(old)).toEqual(computed(trace));
    expect(opened(trace)).toEqual(computed(trace));
  });

  const bad: [string, (ix: Record<string, unknown> & { groups: { tracks: number[] }[]; alarms: { seq: number }[] }) => unknown][] = [
    ['not JSON', () => '{"alarms": ['],
    ['a group lane the file does not have', (ix) => (ix.groups[0].tracks.push(999_999), ix)],
    ['a lane in two groups', (ix) => (ix.groups[1].tracks.push(ix.groups[0].tracks[0]), ix)],
    ['a lane in no group', (ix) => (ix.groups[0].tracks.pop(), ix)],
    ['an alarm past the last event', (ix) => ((ix.alarms[0].seq = 10_000_000), ix)],
    ['no density', (ix) => ({ ...ix, density: null })],
    ['an array', () => []],
  ];
  it.each(bad)('a stored row with %s is ignored: the index is computed from the events, and the file is not changed', (_what, edit) => {
    const dir = tempDir();
    const f = altered(trace, dir, 'bad.sqlite', (db) => {
      const ix = JSON.parse((db.prepare('SELECT json FROM timeline_index').get() as { json: string }).json);
      const v = edit(ix);
      db.prepare('UPDATE timeline_index SET json = ?').run(typeof v === 'string' ? v : JSON.stringify(v));
    });
    const before = fingerprint(f);
    expect(opened(f)).toEqual(computed(trace));
    expect(fingerprint(f)).toBe(before);
  });

  it('verify checks the stored row against the events: an edited one makes the run fail verify, saying so', async () => {
    expect((await lab.verifyRun(lab.runOf(trace))).match).toBe(true);
    const f = altered(trace, tempDir(), 'edited.sqlite', (db) => {
      const ix = JSON.parse((db.prepare('SELECT json FROM timeline_index').get() as { json: string }).json);
      ix.alarms[0].text = 'OOM kill #1: somebody else';
      db.prepare('UPDATE timeline_index SET json = ?').run(JSON.stringify(ix));
    });
    const v = await lab.verifyRun(lab.runOf(f));
    expect(v.firstDivergence).toBeNull();
    expect(v.match).toBe(false);
    expect(v.note).toContain('stored timeline index');
  });

  it('two rows are ignored too, and the lab opens such a run as it opens the original', async () => {
    const f = altered(trace, tempDir(), 'two.sqlite', (db) => db.exec('INSERT INTO timeline_index SELECT json FROM timeline_index'));
    expect(opened(f)).toEqual(computed(trace));
    const id = lab.runOf(f);
    const a = await lab.openRun(lab.runOf(trace));
    const b = await lab.openRun(id);
    expect({ ...b, id: a.id }).toEqual(a);
    expect(path.basename(f)).toBe('two.sqlite');
  });
});
