import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../trace/helpers';
import { cliIn } from './svaLab';

const home = tempDir('sva-cli-dmesg-');

const lab = cliIn(home, 60_000);

function record(scenario: string, ...sets: string[]): string {
  const r = lab('run', scenario, ...sets.flatMap((s) => ['--set', s]), '--json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { trace: string }).trace;
}

const STAMP = /^\[\s*\d+\.\d{6}\]( |$)/;
const text = (l: string) => l.replace(STAMP, '');

describe('sva-lab dmesg', () => {
  it('oom-bound-victim reads as the kernel\'s: dump_header with its call trace, the kill, the reap, the hung task', () => {
    // mm_exit model, a device that takes 5 min to stop: release() waits in mm_exit for longer than
    // hung_task_timeout_secs (120 s), so khungtaskd reports the dying task at 240 s.
    const trace = record('oom-bound-victim', 'mmExit=true', 'dmaStopMs=300000');
    const r = lab('dmesg', trace);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(STAMP);
    const t = lines.map(text);
    const i = t.findIndex((l) => l.startsWith('db-service invoked oom-killer: gfp_mask=0x100dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=-1000'));
    expect(i).toBeGreaterThanOrEqual(0);
    // dump_header: dump_stack right after the first line (log 01, lines 1-5), then the summary line.
    expect(t[i + 1]).toMatch(/^CPU: \d+ PID: \d+ Comm: db-service Not tainted 5\.6\.0-rc3-sva-v4\+ #1$/);
    expect(t[i + 2]).toMatch(/^Hardware name: /);
    expect(t[i + 3]).toBe('Call Trace:');
    expect(t.slice(i + 4, i + 8).map((l) => l.replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, ''))).toEqual([' dump_stack', ' dump_header', ' oom_kill_process', ' out_of_memory']);
    const kill = t.findIndex((l) => /^Out of memory: Killed process \d+ \(accel-app\) total-vm:\d+kB, anon-rss:\d+kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:\d+kB oom_score_adj:0$/.test(l));
    expect(kill).toBeGreaterThan(i);
    expect(t[kill - 1]).toMatch(/^oom-kill:constraint=CONSTRAINT_NONE,nodemask=\(null\),cpuset=\/,mems_allowed=0,global_oom,task_memcg=\/,task=accel-app,pid=\d+,uid=1000$/);
    const reap = t.findIndex((l) => /^oom_reaper: reaped process \d+ \(accel-app\), now anon-rss:\d+kB, file-rss:0kB, shmem-rss:0kB$/.test(l));
    expect(reap).toBeGreaterThan(kill);
    const hung = t.findIndex((l) => /^INFO: task accel-app:\d+ blocked for more than 120 seconds\.$/.test(l));
    expect(hung).toBeGreaterThan(reap);
    expect(lines[hung].startsWith('[  240.000000] ')).toBe(true);
    expect(t[hung + 1]).toBe('      Not tainted 5.6.0-rc3-sva-v4+ #1');
    expect(t[hung + 2]).toBe('"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.');
    expect(t[hung + 3]).toMatch(/^task:accel-app +state:D stack: +0 pid: +\d+ ppid: +1 flags:0x00000000$/);
    expect(t[hung + 4]).toBe('Call Trace:');
    expect(t[hung + 5]).toMatch(/^ __schedule\+0x/);
    // The dying task waits in mm_exit's stop, under release() in exit_mmap.
    const frames = t.slice(hung + 5, hung + 20).map((l) => l.trim().replace(/\+0x.*/, ''));
    expect(frames).toEqual(expect.arrayContaining(['wait_for_completion', 'uacce_sva_exit', 'io_mm_release', '__mmu_notifier_release', 'exit_mmap', 'mmput', 'do_exit']));
    // debug_show_all_locks: what the stuck task holds.
    expect(t).toContain('Showing all locks held in the system:');
    expect(t.some((l) => /^ #\d: [0-9a-f]{16} \(iommu_sva_lock\)\{\+\.\+\.\}-\{3:3\}, at: io_mm_release\+/.test(l))).toBe(true);

    const j = lab('dmesg', trace, '--json');
    expect(j.code).toBe(0);
    expect(j.stdout.trim().split('\n')).toHaveLength(1);
    const dto = JSON.parse(j.stdout) as { seq: number; tNs: number; level: number; text: string }[];
    expect(dto.map((d) => d.text)).toEqual(lines);
    expect(dto.every((d, k) => k === 0 || d.seq >= dto[k - 1].seq)).toBe(true);
  });

  it('drain-lock-order prints lockdep\'s report', () => {
    const r = lab('dmesg', record('drain-lock-order'));
    expect(r.code, r.stderr).toBe(0);
    const t = r.stdout.split('\n').map(text);
    expect(t).toContain('WARNING: possible circular locking dependency detected');
    expect(t).toContain('  &param->lock --> &param->fault_param->lock --> pasid_mutex');
  });

  it('a file that is not a trace: one sentence, no stack trace, the file untouched', () => {
    const f = path.join(tempDir(), 'not-a-trace.sqlite');
    fs.writeFileSync(f, 'hello');
    const r = lab('dmesg', f);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not-a-trace\.sqlite/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(f, 'utf8')).toBe('hello');
  });
});
