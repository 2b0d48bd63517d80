import type { Bus } from '../bus';
import { BusyError, UserError } from '../errors';
import type { SweepDefinition } from './grid';
import type { SweepHandle, SweepOptions, SweepService } from './service';

/** Sweeps a lab runs at once when asked through LabApi. */
export const MAX_ACTIVE_SWEEPS = 2;

/**
 * The sweeps this lab is running: each started through SweepService with its own cancellation,
 * its progress and end told as LabEvents (sweep-progress, sweep-finished, archive-changed).
 */
export class LiveSweeps {
  private readonly cancels = new Map<string, AbortController>();

  constructor(
    private readonly sweeps: SweepService,
    private readonly bus: Bus,
  ) {}

  /** Start a sweep for LabApi's startSweep: refused (BusyError) when MAX_ACTIVE_SWEEPS are running. */
  startLimited(def: SweepDefinition): SweepHandle {
    if (this.cancels.size >= MAX_ACTIVE_SWEEPS) throw new BusyError(`${this.cancels.size} sweeps are running already, the most this lab runs at once; start this one when one has finished (or cancel one).`);
    return this.start(def);
  }

  /** Start a sweep; `opts.signal` cancels it as cancel(id) does. */
  start(def: SweepDefinition, opts: SweepOptions = {}): SweepHandle {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const bus = this.bus;
    const h = this.sweeps.start(def, {
      jobs: opts.jobs,
      signal: ac.signal,
      onProgress: (p) => {
        opts.onProgress?.(p);
        bus.emit({ type: 'sweep-progress', sweepId: p.sweepId, done: p.done, total: p.total, point: p.lastRun.point, run: p.lastRun.run, status: p.lastRun.status });
      },
    });
    this.cancels.set(h.id, ac);
    bus.emit({ type: 'archive-changed' });
    void h.done.then(
      (res) => {
        this.cancels.delete(h.id);
        bus.emit({ type: 'sweep-finished', sweepId: h.id, status: res.status });
        bus.emit({ type: 'archive-changed' });
      },
      () => {
        this.cancels.delete(h.id);
        bus.emit({ type: 'sweep-finished', sweepId: h.id, status: 'interrupted' });
      },
    );
    return h;
  }

  cancel(id: string): void {
    const ac = this.cancels.get(id);
    if (!ac) throw new UserError(`Sweep '${id}' is not running; only a running sweep can be cancelled.`);
    ac.abort();
  }
}
