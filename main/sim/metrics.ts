import { KIND, KINDS, MMF_OOM_SKIP, REAP_REAPED, RESP_FAILURE, RESP_INVALID, RESP_SUCCESS, TX_ABORT_REPORTED, TX_ABORT_SILENT, TX_AFTER_FREE, TX_STRAY, type KindName, type TraceSink, type TrackType } from './events';

/** Latency statistics in ns over completed calls. */
export interface LatencyStats {
  count: number;
  max: number | null;
  p50: number | null;
}

/**
 * The summary metrics. Times are ns from the scenario trigger (the first SIGKILL or OOM kill);
 * null means it never happened. The names are a contract: scripts read them.
 */
export interface Metrics {
  releaseLatencyNs: LatencyStats;
  releaseUnfinished: number;
  oomVictims: number;
  innocentVictims: number;
  oomReaped: number;
  oomReapFailed: number;
  panics: number;
  oomSkipSetNs: number | null;
  memoryFreedNs: number | null;
  abortedTransactions: number;
  atsNoTranslation: number;
  priInvalidResponses: number;
  faultsPrinted: number;
  reportedErrors: number;
  lockups: number;
  hungTaskReports: number;
  lockdepReports: number;
  mightSleepReports: number;
  pasidsPeak: number;
  pasidFreedNs: number | null;
  pasidAllocFailures: number;
  pasidsHeldByDeadMmsPeak: number;
  strayTransactions: number;
  dmaAfterFree: number;
  deviceStallNs: number;
  prqPeak: number;
  pageResponses: { success: number; invalid: number; failure: number };
  pageResponseLatencyNs: LatencyStats;
  prqOverflows: number;
  /** Which path answered each page request. */
  pageRequestBranches: { handled: number; mmDefunct: number; noMm: number; badAddress: number; faultError: number; invalidPasid: number; overflowed: number };
  drainRetries: number;
  drainNs: LatencyStats;
  triggerNs: number | null;
}

/** One line per metric: what it measures, for `scenarios`, the README and the UI's hover text. */
export const METRIC_DOCS: Record<keyof Metrics, string> = {
  releaseLatencyNs: 'duration of each MMU-notifier release() call, entry to return (count, max, median) over calls that returned',
  releaseUnfinished: 'release() calls that never returned before the run ended',
  oomVictims: 'processes killed by the OOM killer',
  innocentVictims: 'OOM kills made while an earlier victim still held memory the reaper could not free (its mlocked pages, or all of it when the reaper gave up): the kernel had moved past that victim (MMF_OOM_SKIP) although its memory was still to come back',
  oomReaped: 'oom_reaper passes that reaped a victim ("oom_reaper: reaped process")',
  oomReapFailed: 'victims the oom_reaper gave up on ("oom_reaper: unable to reap": mmap_lock never taken)',
  panics: 'kernel panics ("Kernel panic - not syncing"): the run ends there',
  oomSkipSetNs: 'time until MMF_OOM_SKIP is set on the first victim\'s mm',
  memoryFreedNs: 'time until the first victim\'s memory is returned, locked pages included (the first OOM victim, else the process the trigger killed)',
  abortedTransactions: 'device DMA transactions aborted (silently or with a reported error)',
  atsNoTranslation: 'ATS translation completions with R=W=0 (VT-d; SMMUv3 stall masters send no ATS requests)',
  priInvalidResponses: 'PRI page responses with Invalid Request (SMMUv3: stalls resumed with abort)',
  faultsPrinted: 'kernel log lines about device faults (after ratelimiting)',
  reportedErrors: 'faults the IOMMU reports: DMAR fault records and page requests for an invalid PASID (VT-d), event records the SMMUv3 driver does not handle (C_BAD_CD)',
  lockups: 'deadlocks: cycles closed in the wait-for graph',
  hungTaskReports: 'khungtaskd reports ("blocked for more than N seconds")',
  lockdepReports: 'lockdep reports ("possible circular locking dependency detected"), printed when a lock dependency closes a cycle whether or not the run deadlocks; at most one per run (lockdep turns itself off after it)',
  mightSleepReports: '"BUG: sleeping function called from invalid context" reports: a sleeping function entered inside an atomic section (rcu_read_lock, a spin lock, preempt_disable); at most one per second',
  pasidsPeak: 'most PASIDs allocated at once',
  pasidFreedNs: 'time until the PASID of the first bound mm is freed',
  pasidAllocFailures: 'binds that failed because no PASID was left',
  pasidsHeldByDeadMmsPeak: 'most PASIDs allocated at once to mms whose address space is gone (mm_users 0)',
  strayTransactions: 'DMA transactions translated into another process\'s address space through a PASID reused on the same device (PASID tables are per device), cached (ATC) translations included',
  dmaAfterFree: 'DMA transactions that completed into a page after the kernel had freed or reaped it (a stale IOTLB/ATC translation); 0 when every unmap invalidates before freeing',
  deviceStallNs: 'total time DMA engines spent stalled with every PRI credit (SMMUv3: stall slot) outstanding, summed over engines; a stall still open at the end counts up to the last event',
  prqPeak: 'most entries in the VT-d page request queue at once (its depth is prqDepth; 0 on SMMUv3, which has no PRQ)',
  pageResponses: 'page responses received by devices, by code',
  pageResponseLatencyNs: 'page request to page response, as the device sees it',
  prqOverflows: 'page requests dropped because the PRQ was full',
  pageRequestBranches: 'which path answered each page request: handled (SUCCESS), mmDefunct (mmget_not_zero failed: INVALID, silent), noMm (PASID unbound meanwhile: INVALID), badAddress (find_extend_vma found no VMA, or the access check failed: INVALID, silent), faultError (handle_mm_fault returned VM_FAULT_ERROR, e.g. SIGBUS on a reaped mm: INVALID, silent), invalidPasid (after unbind: INVALID, printed), overflowed (PRQ full: the hardware\'s automatic SUCCESS, nothing mapped, the device asks again)',
  drainRetries: 'extra passes of intel_svm_drain_prq (PRQ still holding the PASID, or overflow set); VT-d only',
  drainNs: 'duration of each page-request drain at unbind (intel_svm_drain_prq; VT-d only)',
  triggerNs: 'absolute virtual time of the trigger',
};

/** The fault handler's fn_end args take a handful of distinct values: parse each once. */
const BRANCH_CACHE = new Map<string, string | undefined>();
function branchOf(args: string): string | undefined {
  if (BRANCH_CACHE.has(args)) return BRANCH_CACHE.get(args);
  const br = (JSON.parse(args) as { branch?: string }).branch;
  if (BRANCH_CACHE.size >= 1024) BRANCH_CACHE.clear();
  BRANCH_CACHE.set(args, br);
  return br;
}

function stats(v: number[]): LatencyStats {
  if (v.length === 0) return { count: 0, max: null, p50: null };
  const s = [...v].sort((a, b) => a - b);
  return { count: s.length, max: s[s.length - 1], p50: s[Math.floor((s.length - 1) / 2)] };
}

/**
 * The kinds the fold reads: its switch's cases, the most frequent first. A kind not here returns
 * before the switch, which compares `kind` with its cases one by one (KIND's values are not
 * constants to the compiler, so it cannot jump); a test checks this list against the cases.
 */
export const FOLDED_KINDS: readonly KindName[] = [
  'fn_begin',
  'fn_end',
  'dma_tx',
  'prq_depth',
  'ats_req',
  'mm_users',
  'pri_resp',
  'trigger',
  'release_begin',
  'release_end',
  'oom_kill',
  'mm_pages',
  'reap_end',
  'oom_reap_fail',
  'panic',
  'mm_flag',
  'mm_freed',
  'dma_stall',
  'dma_stall_end',
  'smmu_evt',
  'printk',
  'dmar_fault',
  'deadlock',
  'hung_task',
  'lockdep',
  'might_sleep',
  'pasids',
  'pasid_alloc',
  'pasid_free',
  'pasid_alloc_fail',
  'prq_overflow',
];
const FOLDS = new Uint8Array(KINDS.length);
for (const k of FOLDED_KINDS) FOLDS[KIND[k]] = 1;

/**
 * Computes the metrics by folding the event stream: the same code runs live while simulating and
 * over a recorded trace, so a summary recomputed from a file equals the one the run printed.
 */
export class MetricsFold implements TraceSink {
  private trigger: number | null = null;
  private firstVictimMm = 0;
  private triggerMm = 0;
  /** Earlier victims' mms that still hold pages (mm_pages.a > 0), until exit_mmap returns them all. */
  private readonly victimsHolding = new Set<number>();
  private readonly victimMms = new Set<number>();
  private readonly freedMms = new Set<number>();
  private readonly releaseOpen = new Map<number, number[]>();
  private readonly releases: number[] = [];
  private readonly drainOpen = new Map<number, number>();
  private readonly drains: number[] = [];
  private readonly respLat: number[] = [];
  private skipAt = new Map<number, number>();
  private freedAt = new Map<number, number>();
  private firstPasid = 0;
  private firstPasidFreed: number | null = null;
  private readonly pasidOwner = new Map<number, number>();
  private readonly mmUsers = new Map<number, number>();
  /** Resident pages per mm (mm_pages.a). */
  private readonly pages = new Map<number, number>();
  private readonly stallOpen = new Map<number, number>();
  private lastT = 0;
  readonly m: Metrics = {
    releaseLatencyNs: { count: 0, max: null, p50: null },
    releaseUnfinished: 0,
    oomVictims: 0,
    innocentVictims: 0,
    oomReaped: 0,
    oomReapFailed: 0,
    panics: 0,
    oomSkipSetNs: null,
    memoryFreedNs: null,
    abortedTransactions: 0,
    atsNoTranslation: 0,
    priInvalidResponses: 0,
    faultsPrinted: 0,
    reportedErrors: 0,
    lockups: 0,
    hungTaskReports: 0,
    lockdepReports: 0,
    mightSleepReports: 0,
    pasidsPeak: 0,
    pasidFreedNs: null,
    pasidAllocFailures: 0,
    pasidsHeldByDeadMmsPeak: 0,
    strayTransactions: 0,
    dmaAfterFree: 0,
    deviceStallNs: 0,
    prqPeak: 0,
    pageResponses: { success: 0, invalid: 0, failure: 0 },
    pageResponseLatencyNs: { count: 0, max: null, p50: null },
    prqOverflows: 0,
    pageRequestBranches: { handled: 0, mmDefunct: 0, noMm: 0, badAddress: 0, faultError: 0, invalidPasid: 0, overflowed: 0 },
    drainRetries: 0,
    drainNs: { count: 0, max: null, p50: null },
    triggerNs: null,
  };

  actor(_id: number, _name: string, _track: TrackType): void {}

  event(_seq: number, t: number, kind: number, actor: number, _cause: number, a: number, b: number, args: string | null): void {
    this.lastT = t;
    if (FOLDS[kind] === 0) return;
    const m = this.m;
    switch (kind) {
      case KIND.fn_begin:
        if (args !== null && args.includes('intel_svm_drain_prq')) this.drainOpen.set(actor, t);
        break;
      case KIND.fn_end:
        if (args !== null && args.includes('"branch"')) {
          const br = branchOf(args);
          if (br === 'handled') m.pageRequestBranches.handled++;
          else if (br === 'mm_defunct') m.pageRequestBranches.mmDefunct++;
          else if (br === 'no_mm') m.pageRequestBranches.noMm++;
          else if (br === 'no_vma' || br === 'access') m.pageRequestBranches.badAddress++;
          else if (br === 'fault_error') m.pageRequestBranches.faultError++;
        } else if (args !== null && args.includes('intel_svm_drain_prq')) {
          m.drainRetries += a;
          const s = this.drainOpen.get(actor);
          if (s !== undefined) this.drains.push(t - s);
        }
        break;
      case KIND.dma_tx:
        if (b === TX_ABORT_SILENT || b === TX_ABORT_REPORTED) m.abortedTransactions++;
        else if (b === TX_STRAY) m.strayTransactions++;
        else if (b === TX_AFTER_FREE) m.dmaAfterFree++;
        break;
      case KIND.prq_depth:
        if (a > m.prqPeak) m.prqPeak = a;
        break;
      case KIND.ats_req:
        if (b === 1) m.atsNoTranslation++;
        break;
      case KIND.mm_users:
        this.mmUsers.set(actor, a);
        if (a === 0) this.countDead();
        break;
      case KIND.pri_resp: {
        if (b === RESP_SUCCESS) m.pageResponses.success++;
        else if (b === RESP_INVALID) {
          m.pageResponses.invalid++;
          m.priInvalidResponses++;
        } else if (b === RESP_FAILURE) m.pageResponses.failure++;
        const lat = (JSON.parse(args ?? '{}') as { latencyNs?: number }).latencyNs;
        if (lat !== undefined) this.respLat.push(lat);
        break;
      }
      case KIND.trigger: {
        if (this.trigger === null) {
          this.trigger = t;
          this.triggerMm = (JSON.parse(args ?? '{}') as { mm?: number }).mm ?? 0;
        }
        break;
      }
      case KIND.release_begin: {
        let l = this.releaseOpen.get(actor);
        if (!l) this.releaseOpen.set(actor, (l = []));
        l.push(t);
        break;
      }
      case KIND.release_end: {
        const start = this.releaseOpen.get(actor)?.pop();
        if (start !== undefined) this.releases.push(t - start);
        break;
      }
      case KIND.oom_kill: {
        m.oomVictims++;
        const mm = (JSON.parse(args ?? '{}') as { mm?: number; rssPages?: number }).mm ?? 0;
        // A second kill can only come after select_bad_process stopped waiting for the earlier
        // victims (MMF_OOM_SKIP): whatever they still hold then is memory the reaper could not free.
        if (this.victimsHolding.size > 0) m.innocentVictims++;
        if (this.firstVictimMm === 0) this.firstVictimMm = mm;
        this.victimMms.add(mm);
        if (!this.freedMms.has(mm) && (this.pages.get(mm) ?? 1) > 0) this.victimsHolding.add(mm);
        break;
      }
      case KIND.mm_pages:
        this.pages.set(actor, a);
        if (a === 0) this.victimsHolding.delete(actor);
        else if (this.victimMms.has(actor) && !this.freedMms.has(actor)) this.victimsHolding.add(actor);
        break;
      case KIND.reap_end:
        if (b === REAP_REAPED) m.oomReaped++;
        break;
      case KIND.oom_reap_fail:
        m.oomReapFailed++;
        break;
      case KIND.panic:
        m.panics++;
        break;
      case KIND.mm_flag:
        if (a === MMF_OOM_SKIP && !this.skipAt.has(actor)) this.skipAt.set(actor, t);
        break;
      case KIND.mm_freed:
        this.freedMms.add(actor);
        this.victimsHolding.delete(actor);
        if (!this.freedAt.has(actor)) this.freedAt.set(actor, t);
        break;
      case KIND.dma_stall:
        this.stallOpen.set(actor, t);
        break;
      case KIND.dma_stall_end:
        m.deviceStallNs += b;
        this.stallOpen.delete(actor);
        break;
      case KIND.smmu_evt:
        if (b === 1) m.reportedErrors++;
        break;
      case KIND.printk:
        if (args !== null && args.includes('"cls":"fault"')) m.faultsPrinted++;
        break;
      case KIND.dmar_fault:
        m.reportedErrors++;
        if (b === 2) m.pageRequestBranches.invalidPasid++;
        break;
      case KIND.deadlock:
        m.lockups++;
        break;
      case KIND.hung_task:
        m.hungTaskReports++;
        break;
      case KIND.lockdep:
        m.lockdepReports++;
        break;
      case KIND.might_sleep:
        m.mightSleepReports++;
        break;
      case KIND.pasids:
        if (a > m.pasidsPeak) m.pasidsPeak = a;
        break;
      case KIND.pasid_alloc:
        if (this.firstPasid === 0) this.firstPasid = a;
        this.pasidOwner.set(a, b);
        this.countDead();
        break;
      case KIND.pasid_free:
        if (a === this.firstPasid && this.firstPasidFreed === null) this.firstPasidFreed = t;
        this.pasidOwner.delete(a);
        break;
      case KIND.pasid_alloc_fail:
        m.pasidAllocFailures++;
        break;
      case KIND.prq_overflow:
        m.prqOverflows++;
        m.pageRequestBranches.overflowed++;
        break;
    }
  }

  private countDead(): void {
    let n = 0;
    for (const mm of this.pasidOwner.values()) if (this.mmUsers.get(mm) === 0) n++;
    if (n > this.m.pasidsHeldByDeadMmsPeak) this.m.pasidsHeldByDeadMmsPeak = n;
  }

  /** The finished metrics (call once the stream has ended). */
  result(): Metrics {
    const m = this.m;
    const trig = this.trigger;
    const rel = (t: number | null | undefined) => (t === undefined || t === null || trig === null ? null : t - trig);
    m.triggerNs = trig;
    m.releaseLatencyNs = stats(this.releases);
    m.releaseUnfinished = [...this.releaseOpen.values()].reduce((n, l) => n + l.length, 0);
    const victim = this.firstVictimMm || this.triggerMm;
    m.oomSkipSetNs = this.firstVictimMm ? rel(this.skipAt.get(this.firstVictimMm)) : null;
    m.memoryFreedNs = victim ? rel(this.freedAt.get(victim)) : null;
    m.pasidFreedNs = rel(this.firstPasidFreed);
    m.pageResponseLatencyNs = stats(this.respLat);
    m.drainNs = stats(this.drains);
    for (const since of this.stallOpen.values()) m.deviceStallNs += this.lastT - since;
    this.stallOpen.clear();
    return m;
  }
}
