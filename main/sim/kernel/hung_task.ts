import { KIND, TS_D } from '../events';
import type { Sim } from '../engine';
import type { Gen, Task } from '../task';
import { NS_PER_S, type Ns } from '../time';
import { KERN_ERR, KERN_INFO, type Printk } from './printk';
import { blockedFrames, stackFrames, symbol, type KernelIdent } from '../dump_stack';
import type { Lockdep } from '../lockdep';

/**
 * khungtaskd (kernel/hung_task.c). Wakes every check interval (hung_task_check_interval_secs, 0 =
 * the timeout) and looks at every task in D state: if its context-switch count changed since the
 * last look it records the time (last_switch_time); if not, and `timeout` has passed since then, it
 * prints "INFO: task comm:pid blocked for more than N seconds." So a task stuck for good is first
 * reported between one and two timeouts after it blocked, then again at every check, until
 * hung_task_warnings (10) reports have been printed.
 *
 * N is the time since khungtaskd last saw the task switch, `(jiffies - t->last_switch_time) / HZ`,
 * as kernels since v4.20 print it (v5.8 and v5.15 alike: kernel-logs/08 and 09 show 1720 and 845);
 * v4.19 and earlier printed the timeout itself. The first report therefore says the timeout (the
 * check that saw the switch was one interval after the block), later ones count up.
 */
export class HungTaskDetector {
  reports = 0;
  private warningsLeft: number;
  private readonly interval: Ns;
  private readonly timeout: Ns;

  constructor(
    private readonly sim: Sim,
    private readonly log: Printk,
    timeoutS: number,
    intervalS: number,
    warnings = 10,
    /** init_utsname()->release and version and the taint, as the second line prints them. */
    private readonly ident: KernelIdent & { readonly lockdep?: Lockdep } = { release: '5.8.0 #1', version: 508, tainted: () => 'Not tainted' },
  ) {
    this.timeout = timeoutS * NS_PER_S;
    this.interval = Math.min(intervalS > 0 ? intervalS * NS_PER_S : this.timeout, this.timeout);
    this.warningsLeft = warnings;
  }

  get enabled(): boolean {
    return this.timeout > 0;
  }

  start(): void {
    if (!this.enabled) return;
    this.sim.spawn('khungtaskd', 'kthread', (t) => this.watchdog(t));
  }

  private *watchdog(t: Task): Gen {
    for (;;) {
      // A background sleep: khungtaskd alone does not keep a run going.
      yield* this.sim.sleep(t, this.interval, 'khungtaskd: schedule_timeout_interruptible', true, true);
      this.check_hung_uninterruptible_tasks();
    }
  }

  check_hung_uninterruptible_tasks(): void {
    for (const t of this.sim.tasks) {
      if (t.exited || t.type === 'hw' || t.state !== TS_D) continue;
      this.check_hung_task(t);
    }
    // "if (hung_task_show_lock) debug_show_all_locks();"
    if (this.showLocks && this.ident.lockdep) {
      this.showLocks = false;
      for (const l of this.ident.lockdep.showAllLocks(this.sim.tasks.filter((x) => !x.exited))) this.log.printk(KERN_INFO, l, 0, 'hung');
    }
  }

  private check_hung_task(t: Task): void {
    const switchCount = t.nvcsw;
    const now = this.sim.now;
    if (switchCount !== t.lastSwitchCount) {
      t.lastSwitchCount = switchCount;
      t.lastSwitchTime = now;
      return;
    }
    if (now < t.lastSwitchTime + this.timeout) return;
    if (this.warningsLeft <= 0) return;
    this.warningsLeft--;
    t.hungReports++;
    this.reports++;
    const secs = Math.floor((now - t.lastSwitchTime) / NS_PER_S);
    const seq = this.sim.emit(KIND.hung_task, t.actor, this.timeout / NS_PER_S, secs);
    // Why it hangs: the wait it has been in since it last switched (causes.ts).
    this.sim.edge(seq, t.blockSeq, 'waits_on', { stack: t.stack.length ? t.stack.join(' > ') : undefined });
    // A lock's holder may have blocked after this task did: ask the wait again so that edge exists.
    t.blockedOn?.waitCauses?.();
    // The three pr_err lines of check_hung_task, then sched_show_task(t) and, once per scan,
    // debug_show_all_locks().
    this.log.printk(KERN_ERR, `INFO: task ${t.comm}:${t.pid} blocked for more than ${secs} seconds.`, 0, 'hung');
    this.log.printk(KERN_ERR, `      ${this.ident.tainted()} ${this.ident.release}`, 0, 'hung');
    this.log.printk(KERN_ERR, '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.', 0, 'hung');
    this.sched_show_task(t);
    this.showLocks = true;
  }

  private showLocks = false;

  /**
   * sched_show_task (kernel/sched/core.c, v5.8+ format): "task:<comm> state:D stack: .. pid: ..
   * ppid: .. flags:..", "Workqueue: <wq> <fn>" for a worker, then show_stack: "Call Trace:" and the
   * frames from __schedule down. Stack use and the thread-info flags are not modelled: stack 0,
   * flags 0x00004000 for kernel threads and 0 for user tasks; ppid is kthreadd (2) or init (1).
   */
  private sched_show_task(t: Task): void {
    const kthread = t.type !== 'user';
    this.log.printk(KERN_INFO, `task:${t.comm.slice(0, 15).padEnd(15)} state:D stack:${'0'.padStart(5)} pid:${String(t.pid).padStart(5)} ppid:${String(kthread ? 2 : 1).padStart(6)} flags:0x${(kthread ? 0x00004000 : 0x00000000).toString(16).padStart(8, '0')}`, 0, 'hung');
    const work = t.type === 'kworker' ? t.stack[0] : undefined;
    if (work) this.log.printk(KERN_INFO, `Workqueue: ${t.comm.replace(/^kworker\/u:/, '').replace(/-\d+$/, '')} ${work}`, 0, 'hung');
    this.log.printk(KERN_INFO, 'Call Trace:', 0, 'hung');
    for (const fn of stackFrames(t, ['__schedule', 'schedule', ...blockedFrames(t)])) this.log.printk(KERN_INFO, ` ${symbol(fn)}`, 0, 'hung');
  }


  /** True when no task in D state is still waiting for its first report (or none can come). */
  allReported(): boolean {
    if (!this.enabled || this.warningsLeft <= 0) return true;
    for (const t of this.sim.tasks) {
      if (!t.exited && t.type !== 'hw' && t.state === TS_D && t.hungReports === 0) return false;
    }
    return true;
  }
}

