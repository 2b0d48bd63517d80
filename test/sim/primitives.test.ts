import { describe, expect, it } from 'vitest';
import { InvariantError, Sim } from '../../main/sim/engine';
import { TS_D } from '../../main/sim/events';
import { HungTaskDetector } from '../../main/sim/kernel/hung_task';
import { Printk } from '../../main/sim/kernel/printk';
import { Mutex, Srcu } from '../../main/sim/sync';
import type { Gen, Task } from '../../main/sim/task';
import { Work, Workqueue } from '../../main/sim/workqueue';
import { CollectSink, MS, S } from './helpers';

function sim(): { sim: Sim; ev: CollectSink } {
  const ev = new CollectSink();
  return { sim: new Sim(1, [ev]), ev };
}

describe('workqueue', () => {
  it('flush_workqueue waits for every item queued before it, not for later ones', () => {
    const { sim: s, ev } = sim();
    const wq = new Workqueue(s, 'test', 4);
    const done: string[] = [];
    const item = (name: string, dt: number) =>
      new Work(name, function* (): Gen {
        yield dt;
        done.push(name);
      });
    let flushedAt = -1;
    s.spawn('queuer', 'kthread', function* (t: Task): Gen {
      wq.queue_work(item('a', 5 * MS));
      wq.queue_work(item('b', 10 * MS));
      yield* wq.flush_workqueue(t);
      flushedAt = s.now;
      wq.queue_work(item('c', 50 * MS));
    });
    s.spawn('late', 'kthread', function* (): Gen {
      yield 1 * MS;
      wq.queue_work(item('d', 100 * MS));
    });
    s.run(S);
    expect(flushedAt).toBe(10 * MS);
    expect(done).toEqual(['a', 'b', 'c', 'd']);
    expect(ev.of('deadlock')).toHaveLength(0);
  });

  it('a work item that flushes its own workqueue waits for itself: the cycle is detected', () => {
    const { sim: s, ev } = sim();
    const wq = new Workqueue(s, 'iopf', 8);
    wq.queue_work(
      new Work('self-flush', function* (t: Task): Gen {
        yield 1000;
        yield* wq.flush_workqueue(t);
      }),
    );
    s.run(10 * S);
    expect(s.deadlocks).toBe(1);
    const d = ev.of('deadlock')[0];
    expect(d.a).toBe(1);
    expect((d.args?.cycle as string[])[0]).toMatch(/waits on flush_workqueue iopf held by kworker/);
    const worker = s.tasks.find((t) => t.comm.startsWith('kworker'));
    expect(worker?.state).toBe(TS_D);
  });
});

describe('mutex', () => {
  it('is not recursive: locking a mutex you hold is a deadlock', () => {
    const { sim: s } = sim();
    const m = new Mutex(s, 'A');
    s.spawn('t', 'kthread', function* (t: Task): Gen {
      yield* m.lock(t);
      yield* m.lock(t);
    });
    s.run(S);
    expect(s.deadlocks).toBe(1);
  });

  it('an AB-BA inversion across two tasks is a two-task cycle', () => {
    const { sim: s, ev } = sim();
    const a = new Mutex(s, 'A');
    const b = new Mutex(s, 'B');
    s.spawn('t1', 'kthread', function* (t: Task): Gen {
      yield* a.lock(t);
      yield 1000;
      yield* b.lock(t);
    });
    s.spawn('t2', 'kthread', function* (t: Task): Gen {
      yield* b.lock(t);
      yield 1000;
      yield* a.lock(t);
    });
    s.run(S);
    expect(s.deadlocks).toBe(1);
    expect(ev.of('deadlock')[0].a).toBe(2);
  });

  it('hands the lock to waiters in FIFO order', () => {
    const { sim: s } = sim();
    const m = new Mutex(s, 'A');
    const order: string[] = [];
    for (const name of ['x', 'y', 'z']) {
      s.spawn(name, 'kthread', function* (t: Task): Gen {
        yield* m.lock(t);
        order.push(name);
        yield 1000;
        m.unlock(t);
      });
    }
    s.run(S);
    expect(order).toEqual(['x', 'y', 'z']);
  });
});

describe('SRCU', () => {
  it('synchronize_srcu waits for the readers present when it starts, not for later ones', () => {
    const { sim: s } = sim();
    const srcu = new Srcu(s, 'test', 0);
    let syncDone = -1;
    s.spawn('early-reader', 'kthread', function* (t: Task): Gen {
      const tok = srcu.srcu_read_lock(t);
      yield 10 * MS;
      srcu.srcu_read_unlock(t, tok);
    });
    s.spawn('syncer', 'kthread', function* (t: Task): Gen {
      yield 1 * MS;
      yield* srcu.synchronize_srcu(t);
      syncDone = s.now;
    });
    s.spawn('late-reader', 'kthread', function* (t: Task): Gen {
      yield 2 * MS;
      const tok = srcu.srcu_read_lock(t);
      yield 100 * MS;
      srcu.srcu_read_unlock(t, tok);
    });
    s.run(S);
    expect(syncDone).toBe(10 * MS);
  });

  it('adds the grace-period cost once the readers are gone', () => {
    const { sim: s } = sim();
    const srcu = new Srcu(s, 'test', 100_000);
    let done = -1;
    s.spawn('syncer', 'kthread', function* (t: Task): Gen {
      yield* srcu.synchronize_srcu(t);
      done = s.now;
    });
    s.run(S);
    expect(done).toBe(100_000);
  });
});

describe('khungtaskd', () => {
  it('reports a task stuck in D state between one and two timeouts after it blocked, as the kernel prints it', () => {
    const { sim: s, ev } = sim();
    const log = new Printk(s);
    const hung = new HungTaskDetector(s, log, 120, 0);
    s.quiescentHook = () => hung.allReported();
    hung.start();
    const m = new Mutex(s, 'never-released');
    s.spawn('owner', 'kthread', function* (t: Task): Gen {
      yield* m.lock(t);
    });
    s.spawn('victim', 'kthread', function* (t: Task): Gen {
      yield 5 * S;
      yield* m.lock(t);
    });
    s.run(3600 * S);
    const reports = ev.of('hung_task');
    expect(reports.length).toBe(1);
    const dt = reports[0].t - 5 * S;
    expect(dt).toBeGreaterThanOrEqual(120 * S);
    expect(dt).toBeLessThanOrEqual(240 * S);
    expect(ev.of('printk').map((e) => e.args?.msg)).toContain('INFO: task victim:3 blocked for more than 120 seconds.');
  });

  it('does not report a task that sleeps in D state but keeps being scheduled', () => {
    const { sim: s, ev } = sim();
    const log = new Printk(s);
    const hung = new HungTaskDetector(s, log, 10, 0);
    hung.start();
    s.spawn('poller', 'kthread', function* (t: Task): Gen {
      for (let i = 0; i < 100; i++) yield* s.sleep(t, 1 * S, 'msleep');
    });
    s.run(200 * S);
    expect(ev.of('hung_task')).toHaveLength(0);
  });
});

describe('engine', () => {
  it('records for each event the seq of the event that caused it', () => {
    const { sim: s, ev } = sim();
    const m = new Mutex(s, 'A');
    s.spawn('a', 'kthread', function* (t: Task): Gen {
      yield* m.lock(t);
      yield 5;
      m.unlock(t);
    });
    s.spawn('b', 'kthread', function* (t: Task): Gen {
      yield 1;
      yield* m.lock(t);
    });
    s.run(S);
    const release = ev.events.find((e) => e.kind === 'lock_release')!;
    // b is woken by a's unlock: its return to R state was caused by the handover.
    const wake = ev.events.filter((e) => e.kind === 'task_state' && e.actor.startsWith('b:') && e.a === 0).pop()!;
    let c = wake.cause;
    const chain: number[] = [];
    while (c > 0 && chain.length < 10) {
      chain.push(c);
      c = ev.events[c - 1].cause;
    }
    expect(chain).toContain(release.seq);
    for (const e of ev.events) expect(e.cause).toBeLessThan(e.seq);
  });
});

describe('Sim.call', () => {
  it('brackets the body with fn_begin/fn_end and keeps the function on the task stack while it runs', () => {
    const { sim: s, ev } = sim();
    const stacks: string[][] = [];
    let code = -1;
    s.spawn('caller', 'kthread', function* (t: Task): Gen {
      code = yield* s.call(t, 'outer', (function* (): Gen<number> {
        stacks.push([...t.stack]);
        yield* s.call(t, 'inner', (function* (): Gen {
          stacks.push([...t.stack]);
          yield 1 * MS;
        })(), { a: 7, b: 3 });
        return 42;
      })(), { end: (r) => ({ args: { code: r } }) });
      stacks.push([...t.stack]);
    });
    s.run(S);
    expect(code).toBe(42);
    expect(stacks).toEqual([['outer'], ['outer', 'inner'], []]);
    const fns = ev.events.filter((e) => e.kind === 'fn_begin' || e.kind === 'fn_end').map((e) => [e.kind, e.args?.fn, e.a, e.b, e.t]);
    expect(fns).toEqual([
      ['fn_begin', 'outer', 0, 0, 0],
      ['fn_begin', 'inner', 7, 3, 0],
      ['fn_end', 'inner', 7, 3, 1 * MS],
      ['fn_end', 'outer', 0, 0, 1 * MS],
    ]);
    expect(ev.fn('outer', 'fn_end')[0].args).toEqual({ fn: 'outer', code: 42 });
  });
});

describe('engine fails loudly (issue 13.4)', () => {
  it('scheduling in the past is a broken invariant, not a silent move to now', () => {
    const { sim: s, ev } = sim();
    s.spawn('t', 'kthread', function* (): Gen {
      yield 5 * MS;
      s.at(1 * MS, () => undefined);
    });
    expect(() => s.run(S)).toThrow(InvariantError);
    expect(s.failed).toMatch(/scheduled at 1000000 ns, before the current time 5000000 ns/);
    expect(ev.of('invariant')).toHaveLength(1);
  });

  it('a negative delay or NaN is refused too', () => {
    const { sim: s } = sim();
    expect(() => s.after(-1, () => undefined)).toThrow(InvariantError);
    expect(() => s.at(Number.NaN, () => undefined)).toThrow(InvariantError);
  });

  it('background entries do not keep a run alive and run after foreground ones at the same time', () => {
    const { sim: s } = sim();
    const order: string[] = [];
    s.at(10, () => order.push('bg'), 0, true);
    s.at(10, () => order.push('fg'), 3);
    s.at(20, () => order.push('bg 20'), 0, true);
    s.at(30, () => order.push('fg 30'));
    s.at(40, () => order.push('bg 40'), 0, true);
    expect(s.run(S)).toBe('quiescent');
    // Nothing foreground is left after 30: the daemon's entry at 40 never runs.
    expect(order).toEqual(['fg', 'bg', 'bg 20', 'fg 30']);
  });

  it('one polling path: tick every N events stops the run; progress is reported at each poll and at the end', () => {
    const { sim: s } = sim();
    s.spawn('busy', 'kthread', function* (): Gen {
      for (;;) yield* s.sleep(s.tasks[0], 1000, 'msleep');
    });
    const seen: number[] = [];
    let polls = 0;
    const r = s.run(S, Number.MAX_SAFE_INTEGER, { every: 100, tick: () => ++polls === 3, progress: (n) => seen.push(n) });
    expect(r).toBe('stopped');
    expect(polls).toBe(3);
    expect(seen).toHaveLength(3);
    expect(seen.every((n, i) => i === 0 || n - seen[i - 1] >= 100)).toBe(true);
    const { sim: s2 } = sim();
    const ends: number[] = [];
    s2.spawn('short', 'kthread', function* (): Gen {
      yield 1;
    });
    expect(s2.run(S, Number.MAX_SAFE_INTEGER, { progress: (n) => ends.push(n) })).toBe('quiescent');
    expect(ends).toEqual([s2.seq]);
  });

  it('halt() ends the run after the current event', () => {
    const { sim: s } = sim();
    let after = false;
    s.spawn('panicker', 'kthread', function* (): Gen {
      yield 1 * MS;
      s.halt('panic');
    });
    s.at(2 * MS, () => (after = true));
    expect(s.run(S)).toBe('panic');
    expect(after).toBe(false);
    expect(s.now).toBe(1 * MS);
  });
});

describe('khungtaskd: the number it prints', () => {
  it('is the time since it last saw the task switch ((jiffies - last_switch_time) / HZ, v4.20+), so later reports count up', () => {
    const { sim: s, ev } = sim();
    const log = new Printk(s);
    // A 30 s check interval against the 120 s timeout: the switch is seen at 30 s.
    const hung = new HungTaskDetector(s, log, 120, 30);
    hung.start();
    const m = new Mutex(s, 'never-released');
    s.spawn('owner', 'kthread', function* (t: Task): Gen {
      yield* m.lock(t);
    });
    s.spawn('victim', 'kthread', function* (t: Task): Gen {
      yield 5 * S;
      yield* m.lock(t);
    });
    // Keep the run going (khungtaskd's own timer is a background one).
    s.at(215 * S, () => undefined);
    s.run(215 * S);
    const lines = ev.of('printk').map((e) => String(e.args?.msg)).filter((l) => l.startsWith('INFO: task victim'));
    expect(lines).toEqual([
      'INFO: task victim:3 blocked for more than 120 seconds.',
      'INFO: task victim:3 blocked for more than 150 seconds.',
      'INFO: task victim:3 blocked for more than 180 seconds.',
    ]);
    expect(ev.of('hung_task').map((e) => [e.a, e.b])).toEqual([[120, 120], [120, 150], [120, 180]]);
    // Each report is the three pr_err lines of check_hung_task.
    const all = ev.of('printk').map((e) => String(e.args?.msg));
    expect(all.slice(0, 3)).toEqual(['INFO: task victim:3 blocked for more than 120 seconds.', '      Not tainted 5.8.0 #1', '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.']);
  });
});
