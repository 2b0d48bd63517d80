import { describe, expect, it } from 'vitest';
import { Sim } from '../../main/sim/engine';
import { Lockdep } from '../../main/sim/lockdep';
import { Mutex } from '../../main/sim/sync';
import type { Gen, Task } from '../../main/sim/task';
import { CollectSink, run } from './helpers';

/** A bare machine: the engine, lockdep printing into `lines`, two kernel threads. */
function machine() {
  const ev = new CollectSink();
  const sim = new Sim(1, [ev]);
  const lines: string[] = [];
  const taints = new Set<number>();
  const ld = new Lockdep(sim, (m) => lines.push(...m.split('\n')), { release: '5.14.0 #1', version: 514, tainted: () => (taints.size ? 'Tainted: W' : 'Not tainted'), taint: (f) => taints.add(f) }, true);
  sim.lockdep = ld;
  return { sim, ld, lines, ev };
}

function* locked(sim: Sim, t: Task, fn: string, a: Mutex, b: Mutex, holdNs: number): Gen {
  yield* sim.call(t, fn, (function* (): Gen {
    yield* a.lock(t);
    yield* b.lock(t);
    yield holdNs;
    b.unlock(t);
    a.unlock(t);
  })());
}

describe('lockdep', () => {
  it('an AB-BA order taken at different times: the report, although nothing deadlocks, and only once', () => {
    const { sim, ld, lines, ev } = machine();
    const A = new Mutex(sim, 'a', '&dev->a_lock');
    const B = new Mutex(sim, 'b', 'b_mutex');
    const C = new Mutex(sim, 'c', 'c_mutex');
    const D = new Mutex(sim, 'd', 'd_mutex');
    sim.spawn('one', 'kthread', (t) => locked(sim, t, 'one_fn', A, B, 1000));
    sim.spawn('two', 'kthread', function* (t): Gen {
      yield* sim.sleep(t, 10_000, 'later');
      yield* locked(sim, t, 'two_fn', B, A, 1000);
      // A second inversion: lockdep is off by now.
      yield* locked(sim, t, 'three_fn', C, D, 10);
      yield* locked(sim, t, 'four_fn', D, C, 10);
    });
    sim.run(1e9);
    expect(sim.deadlocks).toBe(0);
    expect(ld.reports).toBe(1);
    expect(ld.debugLocks).toBe(false);
    expect(ev.of('lockdep')).toHaveLength(1);
    expect(ev.of('lockdep')[0].args).toEqual({ lock: '&dev->a_lock', held: 'b_mutex', chain: ['&dev->a_lock', 'b_mutex'] });
    const at = lines.indexOf('WARNING: possible circular locking dependency detected');
    expect(at).toBe(2);
    expect(lines[at + 1]).toBe('5.14.0 #1 Not tainted');
    expect(lines[at + 3]).toMatch(/^two\/\d+ is trying to acquire lock:$/);
    expect(lines[at + 4]).toMatch(/^ffff8881[0-9a-f]{8} \(&dev->a_lock\)\{\+\.\+\.\}-\{3:3\}, at: two_fn\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
    expect(lines[at + 7]).toMatch(/^ffffffff82[0-9a-f]{6} \(b_mutex\)\{\+\.\+\.\}-\{3:3\}, at: two_fn\+/);
    // The link b_mutex depends on: made by `one`, with its stack.
    const l1 = lines.indexOf('-> #1 (b_mutex){+.+.}-{3:3}:');
    expect(lines.slice(l1 + 1, l1 + 6).map((l) => l.trim().replace(/\+0x.*/, ''))).toEqual(['__mutex_lock', 'mutex_lock_nested', 'one_fn', 'kthread', 'ret_from_fork']);
    // Two locks: no "Chain exists of"; the scenario with the held lock first.
    expect(lines).not.toContain('Chain exists of:');
    const sc = lines.indexOf('       CPU0                    CPU1');
    expect(lines.slice(sc + 2, sc + 6)).toEqual(['  lock(b_mutex);', '                               lock(&dev->a_lock);', '                               lock(b_mutex);', '  lock(&dev->a_lock);']);
    expect(lines).toContain('1 lock held by two/2:');
    expect(lines.filter((l) => l.startsWith('WARNING: possible circular'))).toHaveLength(1);
  });

  it('a lock acquired where no other order exists is silent; a trylock adds no dependency', () => {
    const { sim, ld, lines } = machine();
    const A = new Mutex(sim, 'a', 'a_mutex');
    const B = new Mutex(sim, 'b', 'b_mutex');
    sim.spawn('one', 'kthread', (t) => locked(sim, t, 'one_fn', A, B, 10));
    sim.spawn('two', 'kthread', function* (t): Gen {
      yield* sim.sleep(t, 1000, 'later');
      // B then trylock A: lockdep records no B -> A, so no cycle.
      yield* B.lock(t);
      if (A.trylock(t)) A.unlock(t);
      B.unlock(t);
    });
    sim.run(1e9);
    expect(ld.reports).toBe(0);
    expect(lines).toEqual([]);
  });

  it('might_sleep: a sleeping primitive inside an atomic section reports, once a second, and taints W', () => {
    const { sim, ld, lines } = machine();
    const A = new Mutex(sim, 'a', 'a_mutex');
    sim.spawn('one', 'kthread', function* (t): Gen {
      for (let i = 0; i < 3; i++) {
        ld.rcu_read_lock(t);
        yield* sim.call(t, 'atomic_fn', A.lock(t));
        A.unlock(t);
        ld.rcu_read_unlock(t);
        yield* sim.sleep(t, 600_000_000, 'between');
      }
      // Outside the section nothing is printed.
      yield* A.lock(t);
      A.unlock(t);
    });
    sim.run(1e10);
    // At 0 s, 0.6 s (within a second: suppressed) and 1.2 s.
    expect(ld.mightSleepReports).toBe(2);
    expect(lines.filter((l) => l.startsWith('BUG: sleeping function called from invalid context at kernel/locking/mutex.c:'))).toHaveLength(2);
    const i = lines.findIndex((l) => l.startsWith('in_atomic()'));
    expect(lines[i]).toMatch(/^in_atomic\(\): 1, irqs_disabled\(\): 0, non_block: 0, pid: 1, name: one$/);
    expect(lines[i + 1]).toBe('1 lock held by one/1:');
    expect(lines[i + 2]).toMatch(/^ #0: ffffffff82[0-9a-f]{6} \(rcu_read_lock\)\{\.\.\.\.\}-\{1:2\}, at: kthread\+/);
    expect(lines.filter((l) => l.startsWith('CPU: '))[1]).toMatch(/Tainted: W/);
  });

  it('the model\'s own paths: a lock taken again under itself is "possible recursive locking"', () => {
    // lock-inversion, mm_exit: the driver thread holds uacce_mm->lock when its mmput runs
    // exit_mmap, whose release() (io_mm_release → uacce_sva_exit) takes it again.
    const li = run('lock-inversion', { mmExit: true }, 1);
    expect(li.s.metrics.lockdepReports).toBe(1);
    const msgs = li.ev.of('printk').map((e) => String(e.args?.msg));
    expect(msgs).toContain('WARNING: possible recursive locking detected');
    expect(li.ev.of('lockdep')[0].args).toMatchObject({ lock: '&uacce_mm->lock', held: '&uacce_mm->lock', recursive: true });
    // iopf-last-mmput, mm_exit: the IOPF worker's last mmput flushes its own workqueue.
    const il = run('iopf-last-mmput', { mmExit: true, iopfPut: 'mmput' }, 2);
    expect(il.ev.of('lockdep')[0].args).toMatchObject({ lock: '(wq_completion)iopf_queue', held: '(wq_completion)iopf_queue', recursive: true });
    // The quiet design takes no driver lock in release(): no report.
    expect(run('lock-inversion', { mmExit: false }, 1).s.metrics.lockdepReports).toBe(0);
  });
});
