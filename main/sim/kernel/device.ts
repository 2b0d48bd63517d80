import {
  ATS_OK, ATS_UR, DMA_IDLE, DMA_RUNNING, DMA_STOPPED, DMA_STOPPING, KIND, RESP_FAILURE, RESP_INVALID, RESP_SUCCESS,
  TX_ABORT_REPORTED, TX_ABORT_SILENT, TX_OK, TX_STRAY,
} from '../events';
import { Completion, WaitQueue } from '../sync';
import type { Gen, Task } from '../task';
import type { Kernel } from './kernel';
import type { MmStruct } from './mm';

export interface DmaJob {
  /** Transactions to issue; the job then idles. */
  transactions: number;
  /** Probability that a transaction touches a page not yet present (ATS R=W=0, then PRI). */
  faultRate: number;
}

/**
 * A device DMA engine working for one PASID (a uacce queue). It issues transactions every
 * `dmaInterval`; an ATC miss costs an ATS translation; R=W=0 sends a PRI page request and parks the
 * transaction until the response (at most `priCredits` outstanding: with no responses the engine
 * stalls). INVALID aborts the transaction; FAILURE aborts it and disables PRI. The ATC is one valid
 * bit per engine (a departure: no per-page ATC), cleared by the device-TLB invalidation.
 * On a stop request the engine keeps issuing until the stop completes `dmaStop` later.
 */
export class DmaEngine {
  readonly actor: number;
  state = DMA_STOPPED;
  atcValid = false;
  priEnabled = true;
  outstanding = 0;
  issued = 0;
  private remaining = 0;
  private job: DmaJob = { transactions: 0, faultRate: 0 };
  private task: Task | null = null;
  private readonly credits: WaitQueue;
  private readonly stopped: Completion;
  /** The mm this queue was set up for: a successful translation into another mm is stray DMA. */
  owner: MmStruct | null = null;
  /** Counters the summary reads. */
  aborted = 0;
  stray = 0;
  stalledSince: number | null = null;

  constructor(
    private readonly k: Kernel,
    readonly name: string,
    public pasid: number,
    private readonly priCredits: number,
  ) {
    this.actor = k.sim.actor(`dma ${name}`, 'device');
    this.credits = new WaitQueue(k.sim, `PRI credits ${name}`);
    this.stopped = new Completion(k.sim, `completion ${name} stopped`);
    k.iommu.engines.push(this);
  }

  private setState(s: number): void {
    this.state = s;
    this.k.sim.emit(KIND.dma_state, this.actor, s, this.pasid);
  }

  /** Start (or restart) a job. */
  start(job: DmaJob): void {
    this.job = job;
    this.remaining = job.transactions;
    this.stopped.reinit();
    this.setState(DMA_RUNNING);
    if (!this.task) this.task = this.k.sim.spawn(`dma ${this.name}`, 'hw', (t) => this.engine(t));
    else this.idleWq?.wake_up();
  }

  private *engine(t: Task): Gen {
    const k = this.k;
    const rng = k.sim.rng.get(`device ${this.name}`);
    const idle = new WaitQueue(k.sim, `${this.name} idle`);
    this.idleWq = idle;
    for (;;) {
      if (this.state === DMA_STOPPED || this.state === DMA_IDLE || this.remaining <= 0) {
        if (this.state === DMA_RUNNING) this.setState(DMA_IDLE);
        yield* idle.wait_event(t, () => (this.state === DMA_RUNNING || this.state === DMA_STOPPING) && this.remaining > 0, true);
        continue;
      }
      if (this.outstanding >= this.priCredits) {
        this.stalledSince ??= k.sim.now;
        yield* this.credits.wait_event(t, () => this.outstanding < this.priCredits || this.state === DMA_STOPPED, true);
        this.stalledSince = null;
        continue;
      }
      yield k.cfg.dmaInterval;
      if (this.state === DMA_STOPPED) continue;
      this.remaining--;
      this.issued++;
      this.transaction(rng.chance(this.job.faultRate));
    }
  }

  private idleWq: WaitQueue | null = null;

  private transaction(pageMissing: boolean): void {
    if (this.atcValid && !pageMissing) {
      this.complete(TX_OK);
      return;
    }
    this.translate(pageMissing);
  }

  private translate(pageMissing: boolean): void {
    const k = this.k;
    const r = k.iommu.ats_translate(this.pasid, pageMissing);
    k.sim.emit(KIND.ats_req, this.actor, this.pasid, r);
    if (r === ATS_OK) {
      this.atcValid = true;
      const e = k.iommu.entries.get(this.pasid);
      this.complete(e && e.mm !== this.owner ? TX_STRAY : TX_OK);
      return;
    }
    if (r === ATS_UR) {
      this.complete(TX_ABORT_REPORTED);
      return;
    }
    // R=W=0
    if (!this.priEnabled) {
      this.complete(TX_ABORT_SILENT);
      return;
    }
    this.outstanding++;
    const sentAt = k.sim.now;
    const pasid = this.pasid;
    const depth = k.iommu.prq.depth;
    k.sim.emit(KIND.pri_req, this.actor, pasid, depth);
    // ATS_RW0: ask the IOMMU to make the page present.
    k.iommu.prq.push({
      pasid,
      sentAt,
      respond: (code) => this.onResponse(code, sentAt),
    });
  }

  private onResponse(code: number, sentAt: number): void {
    const k = this.k;
    this.outstanding--;
    k.sim.emit(KIND.pri_resp, this.actor, this.pasid, code, { latencyNs: k.sim.now - sentAt });
    this.credits.wake_up();
    // A stopped device discards what it had in flight.
    if (this.state === DMA_STOPPED) return;
    if (code === RESP_SUCCESS) {
      // Retry the translation: the page is present now (or the entry changed meanwhile).
      this.translate(false);
    } else if (code === RESP_INVALID) {
      this.complete(TX_ABORT_SILENT);
    } else if (code === RESP_FAILURE) {
      this.priEnabled = false;
      this.complete(TX_ABORT_REPORTED);
    }
  }

  private complete(outcome: number): void {
    if (outcome === TX_ABORT_SILENT || outcome === TX_ABORT_REPORTED) this.aborted++;
    if (outcome === TX_STRAY) this.stray++;
    this.k.sim.emit(KIND.dma_tx, this.actor, this.pasid, outcome);
  }

  /** The device-TLB invalidation reached the device. */
  invalidateAtc(): void {
    this.atcValid = false;
  }

  /**
   * The driver's stop: request it, then wait (uninterruptible) for the device to acknowledge,
   * `dmaStop` later. The engine keeps issuing meanwhile.
   */
  *stop(t: Task): Gen {
    const k = this.k;
    k.sim.emit(KIND.fn_begin, t.actor, 0, this.pasid, { fn: 'stop_queue', dev: this.name });
    if (this.state === DMA_RUNNING || this.state === DMA_IDLE) this.setState(DMA_STOPPING);
    k.sim.after(k.cfg.dmaStop, () => {
      this.setState(DMA_STOPPED);
      this.credits.wake_up();
      this.stopped.complete_all();
    });
    yield* this.stopped.wait_for_completion(t);
    k.sim.emit(KIND.fn_end, t.actor, 0, this.pasid, { fn: 'stop_queue', dev: this.name });
  }

  get running(): boolean {
    return this.state === DMA_RUNNING || this.state === DMA_STOPPING;
  }
}
