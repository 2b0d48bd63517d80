import { describe, expect, it } from 'vitest';
import { formatDmesg, stamp, type PrintkRecord } from '../../main/trace/dmesg';
import { run } from '../sim/helpers';

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
