import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KIND } from '../../main/sim/events';
import { dmesg, formatDmesg, stamp, type PrintkRecord } from '../../main/trace/dmesg';
import { TraceReader } from '../../main/trace/reader';
import { TIMELINE_INDEX_NAME, TIMELINE_KINDS } from '../../main/trace/schema';
import { run } from '../sim/helpers';
import { altered, recordInline, tempDir } from './helpers';

const rec = (tNs: number, msg: string, extra: Partial<PrintkRecord> = {}): PrintkRecord => ({ seq: 1, tNs, level: 4, suppressed: 0, msg, ...extra });

describe('dmesg formatting', () => {
  it('stamps lines "[%5lu.%06lu] " from boot, as printk does', () => {
    expect(stamp(0)).toBe('[    0.000000]');
    expect(stamp(186_588_324_999)).toBe('[  186.588324]');
    expect(stamp(123_456_000_001_000)).toBe('[123456.000001]');
    expect(formatDmesg([rec(5_123_456_789, 'hello')])[0].text).toBe('[    5.123456] hello');
  });

  it('one record per line of a message; an empty line is the stamp alone (logs 04, 05)', () => {
    const l = formatDmesg([rec(1e9, '\nwhich lock already depends on the new lock.\n')]).map((x) => x.text);
    expect(l).toEqual(['[    1.000000]', '[    1.000000] which lock already depends on the new lock.', '[    1.000000]']);
  });

  it('a line after suppressed ones is preceded by ___ratelimit\'s "callbacks suppressed"', () => {
    const l = formatDmesg([rec(5e9, 'DMAR: DRHD: handling fault status reg 2', { suppressed: 42, rl: 'dmar_fault' })]).map((x) => x.text);
    expect(l).toEqual(['[    5.000000] dmar_fault: 42 callbacks suppressed', '[    5.000000] DMAR: DRHD: handling fault status reg 2']);
  });

  it('a model run: dmar_fault lets 10 lines through per 5 s and counts the rest', () => {
    // unbind-with-dma without a driver stop: the device's DMA faults every 10 µs for 10 s; dmar_fault
    // prints its two lines per fault through one ratelimit state (DEFAULT_RATELIMIT_INTERVAL 5 s,
    // DEFAULT_RATELIMIT_BURST 10): 5 faults per interval.
    const { ev } = run('unbind-with-dma', { dmaJobTx: 1_000_000, rebindAfterMs: -1 }, 1);
    const recs = ev.of('printk').map((e) => ({ seq: e.seq, tNs: e.t, level: e.a, suppressed: e.b, msg: String(e.args?.msg), rl: e.args?.rl as string | undefined }));
    const lines = formatDmesg(recs).map((x) => x.text);
    const supp = lines.filter((x) => / dmar_fault: \d+ callbacks suppressed$/.test(x));
    expect(supp.length).toBeGreaterThanOrEqual(1);
    const n = Number(/(\d+) callbacks/.exec(supp[0])![1]);
    expect(n).toBe(recs.find((r) => r.suppressed > 0)!.suppressed);
    // Within any 5 s interval at most 10 DMAR lines.
    const dmar = recs.filter((r) => r.msg.startsWith('DMAR:'));
    for (const r of dmar) expect(dmar.filter((x) => x.tNs >= r.tNs && x.tNs < r.tNs + 5e9).length).toBeLessThanOrEqual(10);
  });
});

describe('dmesg of a trace file', () => {
  it('reads the printk events of a recorded trace (here one made by an older model) as the live run printed them', () => {
    const f = path.join(tempDir(), 'dlo.sqlite');
    recordInline(f, 'drain-lock-order', {}, 1);
    const live = run('drain-lock-order', {}, 1).ev;
    const r = new TraceReader(f);
    try {
      // recordInline writes model version 1: the trace says which model made it, and still reads.
      expect(r.meta().modelVersion).toBe(1);
      const fromFile = dmesg(r);
      const recs = live.of('printk').map((e) => ({ seq: e.seq, tNs: e.t, level: e.a, suppressed: e.b, msg: String(e.args?.msg), rl: e.args?.rl as string | undefined }));
      expect(fromFile).toEqual(formatDmesg(recs));
      expect(fromFile.some((l) => l.text.endsWith('WARNING: possible circular locking dependency detected'))).toBe(true);
    } finally {
      r.close();
    }
  });

  it('a trace whose run printed nothing has an empty log', () => {
    const f = path.join(tempDir(), 'quiet.sqlite');
    recordInline(f, 'sigkill-during-dma', { mmExit: false }, 1);
    const r = new TraceReader(f);
    try {
      expect(dmesg(r)).toEqual([]);
    } finally {
      r.close();
    }
  });

  it('reads the log through the partial index, and a trace whose index predates printk in it (no printk, not covering) gives the same lines and timeline index', () => {
    const f = path.join(tempDir(), 'dlo-new.sqlite');
    recordInline(f, 'drain-lock-order', {}, 1);
    const where = `kind IN (${TIMELINE_KINDS.filter((k) => k !== 'printk').map((k) => KIND[k]).join(', ')})`;
    const old = altered(f, path.dirname(f), 'dlo-old.sqlite', (db) => db.exec(`DROP INDEX ${TIMELINE_INDEX_NAME}; CREATE INDEX ${TIMELINE_INDEX_NAME} ON events (kind) WHERE ${where};`));
    const a = new TraceReader(f);
    const b = new TraceReader(old);
    try {
      const plan = (r: TraceReader, w: string) => JSON.stringify(r.query(`EXPLAIN QUERY PLAN SELECT seq, t_ns, a, b, args FROM events WHERE (${w}) AND kind = ${KIND.printk} ORDER BY seq`).rows);
      const newWhere = String(a.query(`SELECT sql FROM sqlite_master WHERE name = '${TIMELINE_INDEX_NAME}'`).rows[0][0]).split(' WHERE ')[1];
      expect(plan(a, newWhere)).toContain(`COVERING INDEX ${TIMELINE_INDEX_NAME}`);
      expect(dmesg(a).length).toBeGreaterThan(0);
      expect(dmesg(b)).toEqual(dmesg(a));
      const tracks = a.actors().map((x) => ({ id: x.id, name: x.name, type: x.track }));
      expect(b.timelineIndex(tracks, b.meta().endTimeNs, false)).toEqual(a.timelineIndex(tracks, a.meta().endTimeNs, false));
    } finally {
      a.close();
      b.close();
    }
  });

  it('never splices an index WHERE that is not a list of kinds into its queries (a file from elsewhere): the same lines and index, by a scan', () => {
    const f = path.join(tempDir(), 'dlo.sqlite');
    recordInline(f, 'drain-lock-order', {}, 2);
    // Selects other rows than the kinds (and could cost anything per row): it must not be used.
    const odd = altered(f, path.dirname(f), 'dlo-odd.sqlite', (db) => db.exec(`DROP INDEX ${TIMELINE_INDEX_NAME}; CREATE INDEX ${TIMELINE_INDEX_NAME} ON events (kind) WHERE kind = ${KIND.printk} OR a < 0;`));
    const a = new TraceReader(f);
    const b = new TraceReader(odd);
    try {
      expect(dmesg(b)).toEqual(dmesg(a));
      const tracks = a.actors().map((x) => ({ id: x.id, name: x.name, type: x.track }));
      expect(b.timelineIndex(tracks, b.meta().endTimeNs, false)).toEqual(a.timelineIndex(tracks, a.meta().endTimeNs, false));
    } finally {
      a.close();
      b.close();
    }
  });
});
