import { describe, expect, it } from 'vitest';
import { run, S } from '../helpers';

describe('iopf-last-mmput', () => {
  describe('mm_exit model, IOPF handler with plain mmput', () => {
    const { s, ev } = run('iopf-last-mmput', { mmExit: true, iopfPut: 'mmput' }, 2);

    it('deadlocks: the handler doing the last mmput flushes the workqueue it runs on', () => {
      expect(s.metrics.lockups).toBe(1);
      const d = ev.of('deadlock')[0];
      expect(d.actor).toMatch(/^kworker\/u:iopf_queue/);
      expect((d.args?.cycle as string[])[0]).toMatch(/waits on flush_workqueue iopf_queue held by kworker\/u:iopf_queue/);
      // The stuck worker is the one that ran __mmput -> exit_mmap -> release().
      const mmput = ev.fn('__mmput').find((e) => e.actor === d.actor);
      expect(mmput).toBeDefined();
      expect(s.metrics.releaseUnfinished).toBe(1);
    });

    it('is reported by khungtaskd one to two timeouts later, and iommu_sva_lock blocks the next bind', () => {
      const d = ev.of('deadlock')[0];
      const reports = ev.of('hung_task');
      expect(s.metrics.hungTaskReports).toBeGreaterThanOrEqual(2);
      const first = reports.find((r) => r.actor === d.actor)!;
      expect(first.t - d.t).toBeGreaterThanOrEqual(120 * S);
      expect(first.t - d.t).toBeLessThanOrEqual(240 * S);
      expect(ev.of('printk').some((e) => /^INFO: task kworker\/u:iopf_queue-\d+:\d+ blocked for more than 120 seconds\.$/.test(String(e.args?.msg)))).toBe(true);
      const blockedBind = ev.events.find((e) => e.kind === 'task_state' && e.actor.startsWith('other-app') && e.args?.on === 'mutex iommu_sva_lock');
      expect(blockedBind).toBeDefined();
      expect(reports.some((r) => r.actor.startsWith('other-app'))).toBe(true);
    });

    it('never frees the PASID', () => {
      expect(s.metrics.pasidFreedNs).toBeNull();
    });
  });

  it('with mmput_async the final put runs on a kworker and nothing deadlocks', () => {
    const { s, ev } = run('iopf-last-mmput', { mmExit: true, iopfPut: 'mmput_async' }, 2);
    expect(s.metrics.lockups).toBe(0);
    expect(s.metrics.hungTaskReports).toBe(0);
    expect(ev.fn('__mmput')[0].actor).toMatch(/^kworker\/u:events/);
    expect(s.metrics.releaseLatencyNs.count).toBe(1);
    expect(s.metrics.pasidFreedNs).not.toBeNull();
  });

  it('in the quiet model plain mmput is safe: release() flushes nothing', () => {
    const { s, ev } = run('iopf-last-mmput', { mmExit: false, iopfPut: 'mmput' }, 2);
    expect(s.metrics.lockups).toBe(0);
    expect(s.metrics.hungTaskReports).toBe(0);
    expect(ev.fn('__mmput')[0].actor).toMatch(/^kworker\/u:iopf_queue/);
    // The unbind's drain flushes the IOPF queue (intel_svm_drain_prq); release() never does.
    const rel = ev.of('release_begin');
    const relEnd = ev.of('release_end');
    for (const f of ev.fn('iopf_queue_flush_dev')) for (let i = 0; i < rel.length; i++) expect(f.seq > rel[i].seq && f.seq < (relEnd[i]?.seq ?? Infinity) && f.actor === rel[i].actor).toBe(false);
  });

  it('holds with other timeouts: hungTaskTimeoutS=30 reports within 30..60 s', () => {
    const { s, ev } = run('iopf-last-mmput', { mmExit: true, iopfPut: 'mmput', hungTaskTimeoutS: 30, faultUs: 20 }, 9);
    expect(s.metrics.lockups).toBe(1);
    const d = ev.of('deadlock')[0];
    const r = ev.of('hung_task').find((x) => x.actor === d.actor)!;
    expect(r.t - d.t).toBeGreaterThanOrEqual(30 * S);
    expect(r.t - d.t).toBeLessThanOrEqual(60 * S);
  });
});
