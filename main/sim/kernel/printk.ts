import { KIND } from '../events';
import type { Sim } from '../engine';
import { NS_PER_S, type Ns } from '../time';

export type LogClass = 'fault' | 'oom' | 'hung' | 'info';

export const KERN_ERR = 3;
export const KERN_WARNING = 4;
export const KERN_INFO = 6;

/**
 * The kernel log. `ratelimited` follows ___ratelimit() (lib/ratelimit.c): at most `burst` lines per `interval`
 * (DEFAULT_RATELIMIT_INTERVAL 5 s, DEFAULT_RATELIMIT_BURST 10); the rest are suppressed and counted,
 * so a flood of DMA faults prints a bounded number of lines.
 */
export class Printk {
  readonly actor: number;
  lines = 0;
  constructor(private readonly sim: Sim) {
    this.actor = sim.actor('kernel log', 'log');
  }

  /**
   * `cls` sorts lines for the summary: 'fault' lines are the ones faultsPrinted counts. A line a
   * ratelimit let through after suppressing others carries the count (`b`) and the ratelimit's
   * function (`rl`): ___ratelimit prints "<func>: N callbacks suppressed" before it (`sva-lab dmesg`).
   */
  printk(level: number, msg: string, suppressed = 0, cls: LogClass = 'info', rl?: string): void {
    this.lines++;
    this.sim.emit(KIND.printk, this.actor, level, suppressed, suppressed > 0 && rl ? { msg, cls, rl } : { msg, cls });
  }

  ratelimit(name: string, interval: Ns = 5 * NS_PER_S, burst = 10): RateLimit {
    return new RateLimit(this, this.sim, name, interval, burst);
  }
}

export class RateLimit {
  private begin: Ns = -1;
  private printed = 0;
  missed = 0;
  constructor(
    private readonly log: Printk,
    private readonly sim: Sim,
    readonly name: string,
    private readonly interval: Ns,
    private readonly burst: number,
  ) {}

  /** Print unless the burst for this interval is used up; returns whether it printed. */
  print(level: number, msg: string, cls: LogClass = 'info'): boolean {
    const now = this.sim.now;
    if (this.begin < 0 || now - this.begin >= this.interval) {
      this.begin = now;
      this.printed = 0;
    }
    if (this.printed < this.burst) {
      this.printed++;
      const missed = this.missed;
      this.missed = 0;
      this.log.printk(level, msg, missed, cls, this.name);
      return true;
    }
    this.missed++;
    return false;
  }
}
