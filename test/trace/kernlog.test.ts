import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKernelLog } from '../../main/trace/kernlog/parse';
import { KernLogError, type KernLog, type LineKind } from '../../main/trace/kernlog/types';
import { kernelLog, kernelLogsDir } from './kernelLogs';

/** Parse one of the real logs. */
function real(name: string): KernLog {
  return parseKernelLog(name, fs.readFileSync(kernelLog(name)));
}
function count(k: KernLog, kind: LineKind): number {
  return k.lines.filter((l) => l.kind === kind).length;
}
function faults(k: KernLog): number {
  return k.lines.filter((l) => l.cls === 'fault').length;
}
const s = (secs: number) => Math.round(secs * 1e6) * 1000;

describe('the real kernel logs (../shared/kernel-logs), counts a reader can check by hand', () => {
  it('finds every log listed in SOURCES.md', () => {
    const logs = fs.readdirSync(kernelLogsDir()).filter((f) => f.endsWith('.log'));
    const listed = [...fs.readFileSync(kernelLog('SOURCES.md'), 'utf8').matchAll(/^\| (\d\d-\S+\.log) \|/gm)].map((m) => m[1]);
    expect(logs.sort()).toEqual(listed.sort());
  });

  it('01: an innocent victim, then no killable processes and the panic', () => {
    const k = real('01-oom-innocent-victim-then-no-killable-panic.log');
    expect(k.format).toBe('dmesg');
    expect(k.callerId).toBe(true); // "[  246.610518][ T1778]"
    expect(k.lines).toHaveLength(283); // wc -l: 283, none dropped
    expect(count(k, 'oom_invoke')).toBe(2); // lines 1 and 120: "random invoked oom-killer"
    expect(count(k, 'oom_kill')).toBe(1); // line 117: "Out of memory: Killed process 1155 (dbus-daemon)"
    expect(count(k, 'reap_end')).toBe(1); // line 118: "oom_reaper: reaped process 1155 (dbus-daemon)"
    expect(count(k, 'oom_none')).toBe(1); // line 239: "Out of memory and no killable processes..."
    expect(count(k, 'panic')).toBe(1); // line 240: "Kernel panic - not syncing: System is deadlocked on memory"
    const kill = k.lines[116];
    expect(kill.tNs).toBe(s(251.716666));
    expect(kill.args).toMatchObject({ pid: 1155, comm: 'dbus-daemon', anonRss: 572, oomScoreAdj: -900 });
    expect(kill.pid).toBe(1778); // the caller id: the allocating task printed it
    const reap = k.lines[117];
    expect(reap.tNs - kill.tNs).toBe(78_444_000); // SOURCES.md: k 251.716666 -> r 251.795110 (78 ms)
    expect(reap.task).toBe('oom_reaper'); // T353 prints "oom_reaper: ..."
    expect(reap.pid).toBe(353);
    // Reports: the two dump_headers (lines 1-117 end at the kill, 120-239 at "no killable") and the panic (240-283, "---[ end Kernel panic").
    expect(k.reports.map((r) => [r.kind, r.first, r.last])).toEqual([
      ['oom', 1, 117],
      ['oom', 120, 239],
      ['panic', 240, 283],
    ]);
    // The first call trace (lines 5-29), innermost first, "?" frames left out.
    expect(k.reports[0].stack.slice(0, 5)).toEqual(['dump_stack', 'dump_header', 'oom_kill_process', 'out_of_memory', '__alloc_pages_slowpath.constprop.73']);
    expect(k.reports[2].stack.slice(0, 3)).toEqual(['dump_stack', 'panic', 'out_of_memory.cold.42']);
    // Tasks: "CPU: 16 PID: 1778 Comm: random" (line 2), "CPU: 44 PID: 1770 Comm: random" (line 121), the victim, the reaper, "sleep (1793) used greatest stack depth" (line 119).
    expect(k.tasks.map((t) => `${t.name}:${t.pid}`).sort()).toEqual(['dbus-daemon:1155', 'oom_reaper:353', 'random:1770', 'random:1778', 'sleep:1793']);
  });

  it('02: DMAR faults in syslog, read on the printk stamps inside', () => {
    const k = real('02-dmar-fault-syslog-xhci.log');
    expect(k.format).toBe('syslog');
    expect(k.lines).toHaveLength(15);
    expect(count(k, 'dmar_fault')).toBe(3); // lines 2, 4, 6: [DMA Read], [DMA Read], [DMA Write]
    expect(faults(k)).toBe(7); // lines 1-7: 4 "DRHD: handling fault status reg" + 3 fault records
    expect(k.lines[1].args).toMatchObject({ type: 'DMA Read', device: '00:16.7', pasid: 'ffffffff', addr: '0x9cdff000', reason: '02', reasonText: 'Present bit in context entry is clear' });
    expect(k.lines[0].tNs).toBe(s(278.99948)); // "[  278.999480]", not the syslog wall time
    expect(k.lines[7].msg).toBe('usb 2-4: USB disconnect, device number 10');
  });

  it('03: AMD-Vi IO_PAGE_FAULT events', () => {
    const k = real('03-amdvi-io-page-fault-mlx5-nvmeof.log');
    expect(k.format).toBe('dmesg');
    expect(k.lines).toHaveLength(24);
    expect(count(k, 'io_page_fault')).toBe(3); // lines 1, 21, 22
    expect(faults(k)).toBe(3);
    expect(k.lines[0].args).toMatchObject({ iommu: 'amd-vi', device: 'mlx5_core 0000:c1:00.0', domain: '0x002f', address: '0x24d08000', flags: '0x0000' });
    expect(k.lines[23].tNs - k.lines[0].tNs).toBe(6_763_221_000); // 408.368677 -> 415.131898
  });

  it('04: the v5.14 lockdep splat, chain and all', () => {
    const k = real('04-vtd-sva-unbind-deadlock-at-exit-idxd.log');
    expect(k.lines).toHaveLength(98);
    expect(count(k, 'lockdep')).toBe(1); // line 4: "WARNING: possible circular locking dependency detected"
    expect(k.reports).toHaveLength(1);
    const r = k.reports[0];
    expect([r.first, r.last]).toEqual([2, 98]); // the empty line 2 and the "=====" rule belong to it, through the last frame
    expect(r.task).toBe('dsa_test'); // line 6: "dsa_test/898 is trying to acquire lock:"
    expect(r.pid).toBe(898);
    const ld = r.lockdep!;
    expect(ld.acquiring).toEqual({ name: '&param->lock', at: 'iopf_queue_flush_dev+0x29/0x60' });
    expect(ld.holding).toEqual({ name: 'pasid_mutex', at: 'intel_svm_unbind+0x34/0x1e0' }); // lines 12-13, wrapped by the mail archive, joined back
    expect(ld.chain.map((c) => [c.n, c.lock])).toEqual([
      [2, 'pasid_mutex'], // line 24
      [1, '&param->fault_param->lock'], // line 35
      [0, '&param->lock'], // line 46
    ]);
    expect(ld.chain[0].stack.slice(2, 5)).toEqual(['intel_svm_page_response', 'iommu_page_response', 'iopf_handle_group']);
    expect(ld.chain[1].stack.slice(2, 4)).toEqual(['iommu_report_device_fault', 'prq_event_thread']);
    expect(ld.chain[2].stack.slice(4, 8)).toEqual(['iopf_queue_flush_dev', 'intel_svm_drain_prq', 'intel_svm_unbind', 'iommu_sva_unbind_device']);
    expect(ld.chainExists).toEqual(['&param->lock', '&param->fault_param->lock', 'pasid_mutex']); // line 67
    expect(ld.held.map((h) => h.name)).toEqual(['&group->mutex', 'pasid_mutex']); // lines 75-76: "2 locks held by dsa_test/898"
    // "stack backtrace:" then "Call Trace:" merged into line 79: split at its stamp, so the stack is found.
    expect(r.stack.slice(0, 4)).toEqual(['dump_stack_lvl', 'dump_stack', 'print_circular_bug.cold', 'check_noncircular']);
    expect(r.stack.at(-1)).toBe('idxd_cdev_release'); // line 98
  });

  it('05: might_sleep in the drain called from intel_mm_release, relative stamps', () => {
    const k = real('05-vtd-drain-prq-in-exit-mmap-mmu-notifier.log');
    expect(k.format).toBe('dmesg-reltime');
    expect(k.clock).toBe('relative');
    expect(k.lines).toHaveLength(20);
    expect(count(k, 'might_sleep')).toBe(1); // line 1
    // The deltas add up: 0.696214 + 0.000068 + 0.000046 + 0.000002 + ... (lines 1-20) = 0.696365 s.
    expect(k.lines[0].tNs).toBe(696_214_000);
    expect(k.lines[1].tNs).toBe(696_282_000);
    expect(k.lines[19].tNs).toBe(696_365_000);
    const r = k.reports[0];
    expect(r.atomic).toEqual({ at: 'kernel/sched/completion.c:101', inAtomic: 1, irqsDisabled: 0 }); // line 2
    expect([r.task, r.pid]).toEqual(['dsatest', 3235]);
    expect(r.stack).toEqual(['dump_stack', '___might_sleep', 'wait_for_completion_timeout', 'intel_svm_drain_prq', 'intel_mm_release', '__mmu_notifier_release', 'exit_mmap', 'mmput']);
  });

  it('06: journalctl -o json, on the kernel\'s clock (_SOURCE_MONOTONIC_TIMESTAMP)', () => {
    const k = real('06-oom-journald-json-steamdeck.journal.log');
    expect(k.format).toBe('journal-json');
    expect(k.lines).toHaveLength(164); // one record per line
    expect(count(k, 'oom_invoke')).toBe(1); // record 3: "gamemoded invoked oom-killer"
    expect(count(k, 'oom_kill')).toBe(1); // record 161: "Killed process 27345 (gotg.exe)"
    expect(count(k, 'reap_end')).toBe(1); // record 162
    const kill = k.lines[160];
    const reap = k.lines[161];
    expect(reap.tNs - kill.tNs).toBe(2_301_627_000); // SOURCES.md: 91308.353423 -> 91310.655050, 2.30 s (not journald's 112 ms)
    expect(k.lines[34].text.split('\n')).toHaveLength(8); // record 35: the Mem-Info counters, one message of 8 lines
    expect(k.reports.map((r) => [r.kind, r.first, r.last, r.task, r.pid])).toEqual([['oom', 3, 161, 'gamemoded', 1158]]);
  });

  it('08: a hung task in dmesg -T, the first line unstamped', () => {
    const k = real('08-hung-task-memcg-css-free-dmesg-T.log');
    expect(k.format).toBe('dmesg-T');
    expect(k.clock).toBe('wall');
    expect(k.origin).toBe('Wed Jul 30 17:47:45 2025');
    expect(k.lines).toHaveLength(17);
    expect(count(k, 'hung_task')).toBe(1); // line 1
    expect(k.lines[0].args).toEqual({ comm: 'kworker/4:1', pid: 1334558, secs: 1720 });
    expect(k.lines[0].stamped).toBe(false);
    expect(k.lines.every((l) => l.tNs === 0)).toBe(true); // all in one second of the wall clock
    expect(k.reports[0].stack).toEqual(['__schedule', 'schedule', 'wb_wait_for_completion', 'mem_cgroup_css_free', 'css_free_rwork_fn', 'process_one_work', 'worker_thread', 'kthread', 'ret_from_fork']);
  });

  it('09: a hung task in do_exit, no stamps at all', () => {
    const k = real('09-hung-task-in-do_exit-io_uring-no-timestamps.log');
    expect(k.format).toBe('bare');
    expect(k.clock).toBe('none');
    expect(k.lines).toHaveLength(34);
    expect(count(k, 'hung_task')).toBe(1); // line 1: "blocked for more than 845 seconds"
    expect(k.reports.map((r) => [r.kind, r.first, r.last])).toEqual([['hung_task', 1, 34]]); // through " </TASK>"
    expect(k.reports[0].stack).toContain('do_exit');
    expect(k.reports[0].stack.indexOf('io_uring_cancel_generic')).toBeLessThan(k.reports[0].stack.indexOf('do_exit')); // innermost first
  });

  it('11 and 13: SMMUv3 event records with their raw words', () => {
    const a = real('11-smmuv3-event-after-kill-9-hns-roce.log');
    expect(a.lines).toHaveLength(5);
    expect(count(a, 'smmu_evt')).toBe(1); // line 1: "event 0x10 received:"
    expect(faults(a)).toBe(5); // the record line and its 4 words
    expect(a.reports.map((r) => [r.kind, r.first, r.last])).toEqual([['smmu_event', 1, 5]]);
    const b = real('13-smmuv3-f-translation-decoded-nvmet-epf.log');
    expect(b.lines).toHaveLength(7);
    expect(count(b, 'smmu_evt')).toBe(1);
    expect(faults(b)).toBe(7); // + the decoded "event: F_TRANSLATION ..." and "unpriv data write s1 ..." lines
    expect(b.lines[5].args).toMatchObject({ event: 'F_TRANSLATION', client: '0000:01:00.0', sid: '0x100', iova: '0x90000f040' });
  });

  it('16: the oom reaper tracepoints', () => {
    const k = real('16-ftrace-oom-reaper-tracepoints.log');
    expect(k.format).toBe('ftrace');
    expect(k.lines).toHaveLength(6);
    expect(count(k, 'oom_kill')).toBe(1); // mark_victim
    expect(count(k, 'reap_begin')).toBe(1); // start_task_reaping
    expect(k.lines.filter((l) => l.kind === 'reap_end').map((l) => l.args.event)).toEqual(['finish_task_reaping', 'skip_task_reaping']);
    expect(k.lines[4].tNs - k.lines[0].tNs).toBe(43_106_000); // SOURCES.md: mark_victim -> finish 43.1 ms
    expect(k.lines[2].tNs - k.lines[1].tNs).toBe(33_793_000); // the 2nd wake_reaper +33.8 ms
    expect(k.tasks).toEqual([{ name: 'allocate', pid: 502 }, { name: 'oom_reaper', pid: 23 }]);
  });

  it('17: iommu:io_page_fault from the AMD-Vi irq thread', () => {
    const k = real('17-ftrace-iommu-io_page_fault-amdvi.log');
    expect(count(k, 'io_page_fault')).toBe(6);
    expect(k.lines[5].tNs - k.lines[0].tNs).toBe(26_000); // 6 faults in 26 µs
    expect(k.lines[0]).toMatchObject({ task: 'irq/24-AMD-Vi', pid: 48, cpu: 2 });
    expect(k.lines[0].args).toMatchObject({ driver: '[drvname]', device: '0000:05:00.0', address: '0x0000000091482640' });
  });

  it('22: SIGKILL, do_exit, sched_process_exit in a trace buffer with its header', () => {
    const k = real('22-ftrace-sigkill-do_exit-sched_process_exit-rpi.log');
    expect(k.lines).toHaveLength(48);
    expect(k.lines.slice(0, 11).every((l) => l.args.header === true)).toBe(true); // lines 1-11: "# tracer: function" ...
    expect(count(k, 'signal')).toBe(2); // signal_generate sig=9 (line 12) and SIGCHLD sig=17 (line 38)
    expect(count(k, 'sched_process_exit')).toBe(1); // line 37
    const kill = k.lines[11];
    const exit = k.lines[36];
    expect(kill.args).toMatchObject({ sig: 9, comm: 'raspbian_proc', pid: 1360 });
    expect(exit.tNs - kill.tNs).toBe(511_000); // SOURCES.md: sched_process_exit 0.51 ms
    expect(k.reports.map((r) => [r.kind, r.first, r.last, r.task])).toEqual([['ftrace_stack', 20, 27, 'raspbian_proc']]); // "<stack trace>" and 7 "=>" lines
    expect(k.reports[0].stack).toEqual(['do_exit', 'do_group_exit', 'get_signal', 'do_signal', 'do_work_pending', 'slow_work_pending']);
  });

  it('keeps every line of every log, in order, with its text as it was', () => {
    for (const f of fs.readdirSync(kernelLogsDir()).filter((x) => x.endsWith('.log'))) {
      const k = real(f);
      const raw = fs.readFileSync(kernelLog(f), 'utf8').replace(/\n$/, '').split('\n');
      expect(k.lines.map((l) => l.n)).toEqual(raw.map((_, i) => i + 1));
      if (k.format !== 'journal-json') expect(k.lines.map((l) => l.text)).toEqual(raw);
      for (let i = 1; i < k.lines.length; i++) if (k.clock !== 'wall') expect(k.lines[i].tNs).toBeGreaterThanOrEqual(k.lines[i - 1].tNs);
    }
  });
});

describe('every timestamp format', () => {
  const one = (text: string) => parseKernelLog('inline.log', text);
  it('dmesg, with and without the caller id, with a <level> prefix, CPU caller ids', () => {
    let k = one('[    5.123456] a\n[    5.200000] b\n');
    expect([k.format, k.callerId, k.lines[1].tNs]).toEqual(['dmesg', false, 5_200_000_000]);
    k = one('<4>[   12.000001][    C3] x\n<6>[   12.5][ T42] y\n');
    expect(k.lines.map((l) => [l.level, l.cpu, l.pid, l.tNs, l.msg])).toEqual([
      [4, 3, null, 12_000_001_000, 'x'],
      [6, null, 42, 12_500_000_000, 'y'],
    ]);
  });
  it('dmesg -T, on the wall clock from its first stamp', () => {
    const k = one('[Wed Jul 30 23:59:59 2025] a\n[Thu Jul 31 00:00:01 2025] b\n');
    expect([k.format, k.origin, k.lines[1].tNs]).toEqual(['dmesg-T', 'Wed Jul 30 23:59:59 2025', 2e9]);
  });
  it('relative stamps, and the minute heads of dmesg -H', () => {
    const k = one('[Apr28 20:36] first\n[  +0.500000] second\n[  +1.000000] third\n');
    expect(k.lines.map((l) => l.tNs)).toEqual([0, 500_000_000, 1_500_000_000]);
  });
  it('syslog and journalctl short / short-precise / short-iso, on the wall clock; other programs kept as such', () => {
    let k = one('Jul 30 17:47:45 host kernel: INFO: task x:1 blocked for more than 120 seconds.\nJul 30 17:47:46 host systemd[1]: Started foo.\nJul 30 17:47:47 host kernel: Call Trace:\n');
    expect(k.format).toBe('syslog');
    expect(k.lines.map((l) => [l.tNs, l.kind, l.source ?? null])).toEqual([
      [0, 'hung_task', null],
      [1e9, 'printk', 'systemd'],
      [2e9, 'printk', null],
    ]);
    k = one('Jul 30 17:47:45.250000 host kernel: a\nJul 30 17:47:45.750001 host kernel: b\n');
    expect(k.lines[1].tNs).toBe(500_001_000);
    k = one('2025-07-30T17:47:45.100000+02:00 host kernel: a\n2025-07-30T15:47:46.100000Z host kernel: b\n');
    expect([k.format, k.lines[1].tNs]).toEqual(['syslog', 1e9]);
  });
  it('journalctl -o short-monotonic', () => {
    const k = one('[ 91308.352843] steamdeck kernel: gamemoded invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=200\n[ 91308.353423] steamdeck kernel: Out of memory: Killed process 27345 (gotg.exe) total-vm:7484424kB, anon-rss:2583484kB\n');
    expect([k.format, k.lines[1].kind, k.lines[1].tNs - k.lines[0].tNs]).toEqual(['journal-monotonic', 'oom_kill', 580_000]);
  });
  it('journalctl -o json with non-kernel records and a MESSAGE given as bytes', () => {
    const rec = (o: object) => JSON.stringify(o);
    const k = one([rec({ _TRANSPORT: 'kernel', MESSAGE: 'Kernel panic - not syncing: x', _SOURCE_MONOTONIC_TIMESTAMP: '5000000' }), rec({ _TRANSPORT: 'stdout', SYSLOG_IDENTIFIER: 'app', MESSAGE: [104, 105], __MONOTONIC_TIMESTAMP: '6000000' }), 'not json at all'].join('\n'));
    expect(k.lines.map((l) => [l.kind, l.text, l.tNs, l.source ?? null])).toEqual([
      ['panic', 'Kernel panic - not syncing: x', 5e9, null],
      ['printk', 'hi', 6e9, 'app'],
      ['printk', 'not json at all', 6e9, null], // kept, as a plain line, at the time before it
    ]);
  });
  it('ftrace: trace_pipe, trace-cmd report (no flags column), a tgid column', () => {
    const k = one('      oom_reaper-23    [000] ....    91.871177: start_task_reaping: pid=502\n  bash-1320  [003]   701.305400: signal_generate: sig=9 errno=0 code=0 comm=x pid=1360 grp=1 res=0\n  bash-1320  (   1320) [003] d... 701.305401: sched_process_exit: comm=bash pid=1320 prio=120\n');
    expect(k.format).toBe('ftrace');
    expect(k.lines.map((l) => [l.kind, l.task, l.pid, l.cpu])).toEqual([
      ['reap_begin', 'oom_reaper', 23, 0],
      ['signal', 'bash', 1320, 3],
      ['sched_process_exit', 'bash', 1320, 3],
    ]);
  });
});

describe('what is not a kernel log is refused in one sentence; hostile input is bounded', () => {
  const refused = (input: string | Uint8Array, name = 'x.txt') => {
    try {
      parseKernelLog(name, input, { maxBytes: 1 << 20, maxLines: 10_000, maxLineChars: 4096 });
    } catch (e) {
      expect(e).toBeInstanceOf(KernLogError);
      return (e as Error).message;
    }
    throw new Error('not refused');
  };
  const sentence = /^'x\.txt' [^\n]+\.$/;
  it('prose, an empty file, a CSV', () => {
    const prose = refused('# Shopping list\n\nMilk, eggs and bread.\nCall mum on Tuesday [1.5].\n');
    expect(prose).toBe("'x.txt' is not a kernel log: none of its first lines has a kernel timestamp or reads like a kernel message; expected dmesg, syslog, journalctl or ftrace text.");
    expect(refused('')).toMatch(/is empty; expected dmesg/);
    expect(refused('a,b,c\n1,2,3\n4,5,6\n')).toMatch(sentence);
  });
  it('prose about kernel logs is not a kernel log (SOURCES.md, the README)', () => {
    expect(refused(fs.readFileSync(kernelLog('SOURCES.md')), 'x.txt')).toMatch(/^'x\.txt' is not a kernel log: none of its first lines/);
    expect(refused(fs.readFileSync(new URL('../../README.md', import.meta.url)), 'x.txt')).toMatch(/^'x\.txt' is not a kernel log/);
  });
  it('binary data and an SQLite file that is not a trace', () => {
    expect(refused(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]))).toBe("'x.txt' is not a kernel log: it holds binary data (NUL bytes); expected dmesg, syslog, journalctl or ftrace text.");
    const sqlite = new Uint8Array(100);
    sqlite.set(new TextEncoder().encode('SQLite format 3\0'));
    expect(refused(sqlite)).toMatch(/an SQLite database, but not an SVA Lab trace/);
  });
  it('too big, too many lines, a line too long', () => {
    expect(refused(new Uint8Array(2 << 20).fill(65))).toMatch(/^'x\.txt' is too large to import as a kernel log \(2 MiB; at most 1 MiB\)/);
    expect(refused('[ 1.0] a\n'.repeat(10_001))).toMatch(/has 10001 lines; a kernel log import reads at most 10000/);
    expect(refused(`[ 1.0] ${'a'.repeat(5000)}\n`)).toMatch(/line 1 is 5007 characters long/);
  });
  it('pathological lines parse in linear time (no regex backtracking blow-up)', () => {
    const n = 60_000;
    const lines = [' '.repeat(n), '-'.repeat(n), `x-1${' '.repeat(n)}y`, 'a'.repeat(n), `Killed process 1 (x)${'a'.repeat(n)}`, `INFO: task ${':'.repeat(n)}`, `${'[ 1.0]'.repeat(n / 6)}`, `${'abc+0x'.repeat(n / 6)}`];
    const t0 = performance.now();
    const k = parseKernelLog('hostile.log', `${'[ 1.000000] start\n'.repeat(10)}${lines.join('\n')}\n`, { maxBytes: 1 << 24, maxLines: 100, maxLineChars: 1 << 20 });
    expect(k.lines).toHaveLength(lines.length + 10);
    // Not a timing assertion of the code's speed: a bound far above linear (a quadratic regex takes minutes here).
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});
