import { KIND, TS_D } from '../events';
import type { Sim } from '../engine';
import type { Gen, Task } from '../task';
import { NS_PER_S, type Ns } from '../time';
import { KERN_ERR, type Printk } from './printk';

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
    /** init_utsname()->release and version, as the second line prints them. */
    private readonly release = '5.8.0 #1',
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
    // The three pr_err lines of check_hung_task; sched_show_task's task line and call trace follow
    // in the kernel (left to the trace's call stacks here).
    this.log.printk(KERN_ERR, `INFO: task ${t.comm}:${t.pid} blocked for more than ${secs} seconds.`, 0, 'hung');
    this.log.printk(KERN_ERR, `      Not tainted ${this.release}`, 0, 'hung');
    this.log.printk(KERN_ERR, '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.', 0, 'hung');
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
