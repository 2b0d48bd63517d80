import {
  ATS_OK, ATS_UR, DMA_IDLE, DMA_RUNNING, DMA_STOPPED, DMA_STOPPING, KIND, RESP_FAILURE, RESP_INVALID, RESP_SUCCESS,
  TX_ABORT_REPORTED, TX_ABORT_SILENT, TX_AFTER_FREE, TX_OK, TX_STRAY,
} from '../events';
import { Completion, WaitQueue } from '../sync';
import type { Gen, Task } from '../task';
import { pageIndex, pagePresent, pageUnmapPending, type IommuDevice, type MmLayout, type PageRequest } from './iommu';
import type { Kernel } from './kernel';
import type { MmStruct } from './mm';

export interface DmaJob {
  /** Transactions to issue; the job then idles. */
  transactions: number;
  /** Probability that a transaction touches a page not yet present (ATS R=W=0, then PRI). */
  faultRate: number;
  /** Probability that a transaction targets an address with no VMA at all (a bad user buffer). */
  unmappedRate?: number;
}

/** The golden-ratio step: transaction n touches buffer position frac(n·φ), a scrambled sweep. */
const PHI = 0.6180339887498949;

/**
 * A device DMA engine working for one PASID (a uacce queue) of a device (`dev`, whose PASID table
 * it uses). It issues transactions every `dmaInterval`. Each touches one page of the address space
 * (position frac(n·φ) of the mm's layout, no random draw). A cached translation (the ATC; on an
 * SMMUv3 stall master the SMMU's TLB) serves it; a miss costs a translation (an ATS request on
 * VT-d). R=W=0 sends a PRI page request (SMMUv3: the transaction stalls) and parks the transaction
 * until the response (at most `priCredits` outstanding: with no responses the engine stalls). On
 * SUCCESS the device translates again after an ATS round trip (`atsUs`) and, if the page is still
 * not mapped (the PRQ was full and the hardware answered for the kernel), sends a new request;
 * INVALID aborts the transaction; FAILURE aborts it and stops PRI.
 *
 * The ATC is one valid bit per engine plus what the device's working set was when it was filled
 * (the mm and how much of each region was mapped then): it holds translations for every page that
 * was mapped at fill time, until an invalidation drops them all (real ATCs are smaller and
 * invalidated by range; the model is conservative on both counts). That is enough to say truthfully
 * whether a cached translation hits a page that was unmapped since: if that page is also freed, the
 * transaction completed into freed memory (`after_free`), which correct invalidation before freeing
 * (the notifier's invalidate_range, release()'s teardown) makes impossible.
 *
 * On a stop request the engine keeps issuing until the stop completes `dmaStop` later.
 */
export class DmaEngine {
  readonly actor: number;
  readonly dev: IommuDevice;
  state = DMA_STOPPED;
  /** The ATC holds translations (see the class comment). */
  atcValid = false;
  /** The mm the cached translations belong to, its layout, and how much was mapped at fill time. */
  private atcMm: MmStruct | null = null;
  private atcLayout: MmLayout = { locked: 0, anon: 0 };
  private atcLocked = 0;
  private atcAnon = 0;
  /** The mm of the last successful translation (set by Iommu.translate). */
  xlateMm: MmStruct | null = null;
  /** A Response Failure stopped the page request interface. */
  priFailed = false;
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
  afterFree = 0;
  stalledSince: number | null = null;
  private idleWq: WaitQueue | null = null;
  private readonly respond = (req: PageRequest, code: number, reported: boolean): void => this.onResponse(req, code, reported);

  constructor(
    private readonly k: Kernel,
    readonly name: string,
    public pasid: number,
    private readonly priCredits: number,
  ) {
    this.actor = k.sim.actor(`dma ${name}`, 'device');
    this.credits = new WaitQueue(k.sim, `PRI credits ${name}`);
    this.stopped = new Completion(k.sim, `completion ${name} stopped`);
    this.dev = k.iommu.deviceOf(name);
    this.dev.engines.push(this);
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
    const sim = k.sim;
    const rng = sim.rng.get(`device ${this.name}`);
    const idle = new WaitQueue(sim, `${this.name} idle`);
    this.idleWq = idle;
    for (;;) {
      if (this.state === DMA_STOPPED || this.state === DMA_IDLE || this.remaining <= 0) {
        if (this.state === DMA_RUNNING) this.setState(DMA_IDLE);
        yield* idle.wait_event(t, () => (this.state === DMA_RUNNING || this.state === DMA_STOPPING) && this.remaining > 0, true);
        continue;
      }
      if (this.outstanding >= this.priCredits) {
        const since = sim.now;
        this.stalledSince = since;
        sim.emit(KIND.dma_stall, this.actor, this.pasid, this.outstanding);
        yield* this.credits.wait_event(t, () => this.outstanding < this.priCredits || this.state === DMA_STOPPED, true);
        this.stalledSince = null;
        sim.emit(KIND.dma_stall_end, this.actor, this.pasid, sim.now - since);
        continue;
      }
      yield k.cfg.dmaInterval;
      if (this.state === DMA_STOPPED) continue;
      this.remaining--;
      const n = ++this.issued;
      const missing = rng.chance(this.job.faultRate);
      const ur = this.job.unmappedRate ?? 0;
      const noVma = ur > 0 && rng.chance(ur);
      this.transaction((n * PHI) % 1, missing, noVma, (n & 1) === 1);
    }
  }

  private transaction(u: number, missing: boolean, noVma: boolean, write: boolean): void {
    if (this.atcValid && !missing && !noVma) {
      const r = this.atcHit(u);
      if (r >= 0) {
        this.complete(r);
        return;
      }
    }
    this.translate(u, missing, noVma, write, null);
  }

  /** A transaction the ATC may serve: its outcome, or -1 for a miss. */
  private atcHit(u: number): number {
    const mm = this.atcMm as MmStruct;
    const l = this.atcLayout;
    const p = pageIndex(l, u);
    if (pagePresent(mm, l, p)) return mm !== this.owner ? TX_STRAY : TX_OK;
    // Unmapped since: cached only if it was mapped when the ATC was filled and no invalidation
    // came since (which would have cleared atcValid).
    const cached = p < l.locked ? p < this.atcLocked : p - l.locked < this.atcAnon;
    if (!cached) return -1;
    // A write into a page unmapped but not yet freed (its invalidation is in flight) is harmless.
    return pageUnmapPending(mm, l, p) ? TX_OK : TX_AFTER_FREE;
  }

  /** Translate (ATS on VT-d, the SMMU's walk on SMMUv3); `req` is the parked request on a retry. */
  private translate(u: number, missing: boolean, noVma: boolean, write: boolean, req: PageRequest | null): void {
    const k = this.k;
    const iommu = k.iommu;
    const r = iommu.translate(this, u, missing, noVma, write);
    if (iommu.hw.sendsAts) k.sim.emit(KIND.ats_req, this.actor, this.pasid, r);
    if (r !== ATS_OK && r !== ATS_UR && !this.dev.priEnabled) {
      // No PRI (VT-d) / no stall (SMMUv3): the fault cannot be resolved, the transaction aborts.
      this.release(req);
      this.complete(TX_ABORT_SILENT);
      return;
    }
    if (r === ATS_OK || r === ATS_UR) {
      this.release(req);
      if (r === ATS_UR) {
        this.complete(TX_ABORT_REPORTED);
        return;
      }
      const mm = this.xlateMm as MmStruct;
      if (!this.atcValid || this.atcMm !== mm) {
        this.atcValid = true;
        this.atcMm = mm;
        this.atcLayout = iommu.layoutOf(mm);
        this.atcLocked = mm.lockedPages;
        this.atcAnon = mm.anonPages;
      }
      this.complete(mm !== this.owner ? TX_STRAY : TX_OK);
      return;
    }
    // R=W=0 (SMMUv3: a translation fault with stall).
    if (this.priFailed) {
      this.release(req);
      this.complete(TX_ABORT_SILENT);
      return;
    }
    const sim = k.sim;
    if (req) req.missing = missing;
    else {
      this.outstanding++;
      req = { pasid: this.pasid, dev: this.dev, u, missing, noVma, write, sentAt: sim.now, respond: this.respond };
    }
    req.sentAt = sim.now;
    sim.emit(KIND.pri_req, this.actor, this.pasid, iommu.prq?.depth ?? 0);
    iommu.hw.page_request(req);
  }

  /** The transaction no longer holds a PRI credit (stall slot). */
  private release(req: PageRequest | null): void {
    if (!req) return;
    this.outstanding--;
    this.credits.wake_up();
  }

  private onResponse(req: PageRequest, code: number, reported: boolean): void {
    const k = this.k;
    // `{ latencyNs }` as JSON.stringify writes it (an integer ns), without the object: one per page response.
    k.sim.emitJson(KIND.pri_resp, this.actor, this.pasid, code, `{"latencyNs":${k.sim.now - req.sentAt}}`);
    // A stopped device discards what it had in flight.
    if (this.state === DMA_STOPPED) {
      this.release(req);
      return;
    }
    if (code === RESP_SUCCESS) {
      // Translate again (the credit stays with the transaction until it completes or re-requests).
      if (k.iommu.hw.sendsAts && k.cfg.ats > 0) k.sim.after(k.cfg.ats, () => this.retry(req));
      else this.retry(req);
      return;
    }
    this.release(req);
    if (code === RESP_INVALID) this.complete(reported ? TX_ABORT_REPORTED : TX_ABORT_SILENT);
    else if (code === RESP_FAILURE) {
      this.priFailed = true;
      this.complete(TX_ABORT_REPORTED);
    }
  }

  private retry(req: PageRequest): void {
    if (this.state === DMA_STOPPED) {
      this.release(req);
      return;
    }
    this.translate(req.u, req.missing, req.noVma, req.write, req);
  }

  private complete(outcome: number): void {
    if (outcome === TX_ABORT_SILENT || outcome === TX_ABORT_REPORTED) this.aborted++;
    else if (outcome === TX_STRAY) this.stray++;
    else if (outcome === TX_AFTER_FREE) this.afterFree++;
    this.k.sim.emit(KIND.dma_tx, this.actor, this.pasid, outcome);
  }

  /** The device-TLB invalidation reached the device: every cached translation is gone. */
  invalidateAtc(): void {
    this.atcValid = false;
    this.atcMm = null;
  }

  /**
   * The driver's stop (the accelerator's stop_queue): request it, then wait (uninterruptible) for
   * the device to acknowledge, `dmaStop` later. The engine keeps issuing meanwhile.
   */
  *stop(t: Task): Gen {
    yield* this.k.sim.call(t, 'stop_queue', this.stopBody(t), { b: this.pasid, args: { dev: this.name } });
  }

  private *stopBody(t: Task): Gen {
    const k = this.k;
    if (this.state === DMA_RUNNING || this.state === DMA_IDLE) this.setState(DMA_STOPPING);
    k.sim.after(k.cfg.dmaStop, () => {
      this.setState(DMA_STOPPED);
      this.credits.wake_up();
      this.stopped.complete_all();
    });
    yield* this.stopped.wait_for_completion(t);
  }

  get running(): boolean {
    return this.state === DMA_RUNNING || this.state === DMA_STOPPING;
  }
}
