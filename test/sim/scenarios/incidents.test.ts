import { describe, expect, it } from 'vitest';
import { formatDmesg, type PrintkRecord } from '../../../main/trace/dmesg';
import { readKernelLog } from '../../kernel_logs';
import { run, type CollectSink } from '../helpers';

/**
 * The two incidents of this code, against what the kernel printed (kernel-logs/04 and 05, see
 * SOURCES.md). A log's lines and the model's dmesg are compared line class by line class: each
 * line is normalised (addresses, offsets, pids, CPU numbers, PCI address, PASID value, the
 * release's suffix and build number, the hardware name) and the log's sequence must appear, in
 * order and contiguous, in the model's. What stays is the message kinds, the lock classes and chain
 * depths, the held-lock count and the functions of every call trace. Frames the kernel marked
 * unreliable ("? fn+...": stale stack contents) are left out: the model has no stale stack.
 */

/** A log's lines without stamps: merged lines split at an embedded stamp, wrapped tails rejoined. */
function logLines(text: string): string[] {
  const stampRe = /^\[\s*\+?\d+\.\d{6}\] ?/;
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    // "…Not tainted [  186.615245] ---…": the mail joined two records.
    const parts = raw.split(/ (?=\[\s*\+?\d+\.\d{6}\])/);
    for (const part of parts) {
      if (stampRe.test(part)) out.push(part.replace(stampRe, ''));
      else if (out.length > 0) out[out.length - 1] += part; // a mail-wrapped tail ("x1e0")
      else out.push(part);
    }
  }
  return out;
}

function modelLines(ev: CollectSink): string[] {
  const recs: PrintkRecord[] = ev.of('printk').map((e) => ({ seq: e.seq, tNs: e.t, level: e.a, suppressed: e.b, msg: String(e.args?.msg ?? ''), rl: e.args?.rl as string | undefined }));
  return formatDmesg(recs).map((l) => l.text.replace(/^\[\s*\d+\.\d{6}\] ?/, ''));
}

function normalise(line: string): string | null {
  if (/^ \? /.test(line)) return null;
  return line
    .replace(/\s+$/, '')
    .replace(/\b[0-9a-f]{16}\b/g, 'ADDR')
    .replace(/([\w.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+( \[\w+\])?/g, '$1')
    .replace(/\b(\d+\.\d+)\.\d+\S* #\d+/g, 'v$1')
    .replace(/^Hardware name: .*/, 'Hardware name:')
    .replace(/CPU: \d+ PID: \d+/, 'CPU: N PID: N')
    .replace(/pid: \d+/, 'pid: N')
    .replace(/\/\d+\b/g, '/PID')
    .replace(/\b[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d\b/g, 'BDF')
    .replace(/PASID \d+/g, 'PASID N');
}

function classes(lines: string[]): string[] {
  return lines.map(normalise).filter((l): l is string => l !== null);
}

/** Index in `model` where `log` appears contiguously, or a message naming the first difference. */
function match(model: string[], log: string[]): { at: number; why: string } {
  let best = { at: -1, len: -1 };
  for (let i = 0; i + log.length <= model.length; i++) {
    let n = 0;
    while (n < log.length && model[i + n] === log[n]) n++;
    if (n === log.length) return { at: i, why: '' };
    if (n > best.len) best = { at: i, len: n };
  }
  if (best.at < 0) return { at: -1, why: `the model printed ${model.length} lines, fewer than the log's ${log.length}` };
  return { at: -1, why: `log line ${best.len + 1} '${log[best.len]}' vs model '${model[best.at + best.len] ?? '(end)'}' after ${best.len} matching lines` };
}

describe('drain-lock-order reproduces kernel-logs/04 (v5.14 lockdep splat at unbind)', () => {
  const { s, ev } = run('drain-lock-order', {}, 1);
  const log = classes(logLines(readKernelLog('04-vtd-sva-unbind-deadlock-at-exit-idxd.log')));

  it('reads the log as the kernel printed it', () => {
    // 98 lines in the file (SOURCES.md: lines 83–180), 2 of them two records merged by the mail
    // (+2), 1 wrapped tail rejoined (-1): 99 records; 6 are "? fn" frames of the backtrace: 93 compared.
    expect(logLines(readKernelLog('04-vtd-sva-unbind-deadlock-at-exit-idxd.log'))).toHaveLength(99);
    expect(log).toHaveLength(93);
  });

  it('prints the same lines, class by class: header, the three-lock chain with its stacks, the scenario, the held locks, the backtrace', () => {
    const m = match(classes(modelLines(ev)), log);
    expect(m.why).toBe('');
    expect(m.at).toBeGreaterThanOrEqual(0);
  });

  it('warns although this run does not deadlock, once', () => {
    expect(s.status).toBe('complete');
    expect(s.metrics.lockdepReports).toBe(1);
    expect(s.metrics.lockups).toBe(0);
    expect(s.metrics.hungTaskReports).toBe(0);
    const r = ev.of('lockdep')[0];
    expect(r.actor).toMatch(/^dsa_test:/);
    expect(r.args).toEqual({ lock: '&param->lock', held: 'pasid_mutex', chain: ['&param->lock', '&param->fault_param->lock', 'pasid_mutex'] });
  });

  it('other seeds and close times print the same report; lockdep off prints none', () => {
    for (const [seed, closeAtMs] of [[2, 5], [7, 20], [11, 2]] as const) {
      const r = run('drain-lock-order', { closeAtMs }, seed);
      expect(r.s.metrics.lockdepReports).toBe(1);
      expect(match(classes(modelLines(r.ev)), log).why).toBe('');
    }
    const off = run('drain-lock-order', { debugLocks: false }, 1);
    expect(off.s.metrics.lockdepReports).toBe(0);
    expect(off.ev.of('printk').some((e) => String(e.args?.msg).includes('circular'))).toBe(false);
  });

  it('with a fault still being handled at the close, the deadlock lockdep warned of happens', () => {
    // handle_mm_fault takes 20 ms, every transaction faults, the close comes at 50 µs: an IOPF
    // worker is inside the fault when the unbind takes pasid_mutex and flushes the queue.
    const r = run('drain-lock-order', { faultUs: 20_000, faultRate: 1, closeAtMs: 0.05 }, 1);
    expect(r.s.metrics.lockdepReports).toBe(1);
    expect(r.s.metrics.lockups).toBeGreaterThanOrEqual(1);
    expect(r.s.metrics.hungTaskReports).toBeGreaterThan(0);
    const lines = modelLines(r.ev);
    const hung = lines.findIndex((l) => /^INFO: task dsa_test:\d+ blocked for more than 120 seconds\.$/.test(l));
    expect(hung).toBeGreaterThan(0);
    // sched_show_task's line and the trace of the unbind stuck in the flush.
    expect(lines[hung + 3]).toMatch(/^task:dsa_test +state:D/);
    const trace = lines.slice(hung + 5, hung + 16).map((l) => l.replace(/\+0x.*/, '').trim());
    expect(trace.slice(0, 8)).toEqual(['__schedule', 'schedule', 'schedule_timeout', '__wait_for_common', 'wait_for_completion', 'flush_workqueue', 'iopf_queue_flush_dev', 'intel_svm_drain_prq']);
    // debug_show_all_locks after the reports: lockdep is off since its report.
    expect(lines).toContain('INFO: lockdep is turned off.');
  });

  it('a v5.8 line takes no pasid_mutex in the page response: no report', () => {
    const r = run('close-then-exit', { mmExit: false }, 1);
    expect(r.s.metrics.lockdepReports).toBe(0);
  });
});

describe('drain-in-release reproduces kernel-logs/05 (v5.7-rc1 drain in intel_mm_release)', () => {
  const { s, ev } = run('drain-in-release', {}, 2);
  const log = classes(logLines(readKernelLog('05-vtd-drain-prq-in-exit-mmap-mmu-notifier.log')));

  it('reads the log as the kernel printed it', () => {
    // 20 lines in the file (SOURCES.md: lines 126–145), 1 wrapped tail rejoined: 19 records; 5 are
    // "? fn" frames: 14 compared.
    expect(logLines(readKernelLog('05-vtd-drain-prq-in-exit-mmap-mmu-notifier.log'))).toHaveLength(19);
    expect(log).toHaveLength(14);
  });

  it('prints the same lines, class by class: the BUG, in_atomic(): 1, lockdep off, the trace through exit_mmap and mmput', () => {
    const m = match(classes(modelLines(ev)), log);
    expect(m.why).toBe('');
  });

  it('the sleeping call is the drain\'s wait, inside intel_mm_release\'s rcu_read_lock, in the dying task', () => {
    // The device keeps faulting until the file's release stops it, after exit_mmap: the drain
    // retries, and ___might_sleep prints again once a second (prev_jiffy + HZ).
    const ms = ev.of('might_sleep');
    expect(s.metrics.mightSleepReports).toBe(ms.length);
    expect(ms.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < ms.length; i++) expect(ms[i].t - ms[i - 1].t).toBeGreaterThanOrEqual(1_000_000_000);
    const r = ms[0];
    expect(r.actor).toMatch(/^dsatest:/);
    expect(r.a).toBe(1); // preempt count: rcu_read_lock without PREEMPT_RCU
    expect(r.b).toBe(0); // irqs enabled
    expect(r.args).toEqual({ fn: 'wait_for_completion_timeout', at: 'kernel/sched/completion.c:101' });
  });

  it('then it does sleep: schedule() prints "scheduling while atomic" with the count, the modules and the trace', () => {
    const lines = modelLines(ev);
    const i = lines.findIndex((l) => l.startsWith('BUG: scheduling while atomic: '));
    expect(i).toBeGreaterThan(lines.findIndex((l) => l.startsWith('BUG: sleeping function called from invalid context')));
    // rcu_read_lock's count plus schedule()'s own preempt_disable.
    expect(lines[i]).toMatch(/^BUG: scheduling while atomic: dsatest\/\d+\/0x00000002$/);
    expect(lines[i + 1]).toBe('INFO: lockdep is turned off.');
    expect(lines[i + 2]).toBe('Modules linked in: idxd');
    // add_taint(TAINT_WARN) after the might_sleep report.
    expect(lines[i + 3]).toMatch(/^CPU: \d+ PID: \d+ Comm: dsatest Tainted: G {8}W {8} 5\.7\.0-rc1 #1$/);
    const frames = classes(lines.slice(i + 6, i + 16));
    expect(frames).toEqual(['dump_stack', '__schedule_bug', '__schedule', 'schedule', 'schedule_timeout', '__wait_for_common', 'wait_for_completion_timeout', 'intel_svm_drain_prq', 'intel_mm_release', '__mmu_notifier_release'].map((f) => ` ${f}`));
  });

  it('every seed sleeps in atomic context (in the dying task, or in the PRQ thread when its fault handler does the last mmput)', () => {
    const where = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const r = run('drain-in-release', {}, seed);
      expect(r.s.metrics.mightSleepReports).toBeGreaterThanOrEqual(1);
      where.add(String(r.ev.of('might_sleep')[0].actor).replace(/:\d+$/, ''));
      // Wherever it sleeps, the frames from the wait down to exit_mmap are log 05's.
      const lines = classes(modelLines(r.ev));
      const at = lines.indexOf('Call Trace:');
      expect(lines.slice(at + 1, at + 9)).toEqual(['dump_stack', '___might_sleep', 'wait_for_completion_timeout', 'intel_svm_drain_prq', 'intel_mm_release', '__mmu_notifier_release', 'exit_mmap', 'mmput'].map((f) => ` ${f}`));
    }
    // Seeds 3 and 10: the PRQ thread held the mm when the process died (its mmput was the last).
    expect([...where].sort()).toEqual(['dsatest', 'irq/dmar0-prq']);
  });

  it('with lockdep on, the held locks print instead of "lockdep is turned off": SRCU and rcu_read_lock', () => {
    const lines = modelLines(run('drain-in-release', { debugLocks: true }, 2).ev);
    const i = lines.findIndex((l) => l.startsWith('in_atomic(): 1'));
    expect(lines[i + 1]).toMatch(/^2 locks held by dsatest\/\d+:$/);
    expect(lines[i + 2]).toMatch(/^ #0: [0-9a-f]{16} \(srcu\)\{\.\.\.\.\}-\{0:0\}, at: __mmu_notifier_release\+/);
    expect(lines[i + 3]).toMatch(/^ #1: [0-9a-f]{16} \(rcu_read_lock\)\{\.\.\.\.\}-\{1:2\}, at: intel_mm_release\+/);
  });

  it('without the drain in release (v5.8, as merged) nothing sleeps in atomic context', () => {
    expect(run('sigkill-during-dma', { mmExit: false }, 2).s.metrics.mightSleepReports).toBe(0);
  });
});
