import { ATS_OK, ATS_RW0, ATS_UR, KIND, PE_CLEARED, PE_PRESENT, PE_QUIET } from '../events';
import { PRIO_HW } from '../engine';
import type { Gen, Task } from '../task';
import { us } from '../time';
import { ArmSmmu } from './arm_smmu';
import type { DmaEngine } from './device';
import { IntelIommu } from './intel';
import { IopfQueue } from './iopf';
import type { Kernel } from './kernel';
import type { MmStruct } from './mm';
import { PasidAllocator } from './pasid';
import { KERN_ERR, KERN_INFO } from './printk';

export type Flavour = 'vt-d' | 'smmuv3';

/**
 * One entry of one device's PASID table: a VT-d scalable-mode PASID table entry
 * (intel_pasid_get_entry(dev, pasid), drivers/iommu/intel/pasid.c) or an SMMUv3 context descriptor
 * of the master's CD table (arm_smmu_get_cd_ptr, drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c).
 * States: PE_PRESENT (points at the mm's pgd), PE_QUIET (VT-d: not present with Fault Processing
 * Disable; SMMUv3: the quiet CD, valid with translation disabled) and PE_CLEARED.
 */
export interface PasidEntry {
  state: number;
  mm: MmStruct | null;
  readonly actor: number;
  /** Bonds using the entry: the model binds per queue, the kernel per device (sdev->users). */
  users: number;
}

/**
 * A PCI function / SMMUv3 master as the IOMMU sees it: its requester ID (StreamID), its own PASID
 * table, whether PRI is enabled (info->pri_enabled; on SMMUv3 the master's stall_enabled), and the
 * queues (DMA engines) behind it. A PASID value reused on another device is another entry there.
 */
export class IommuDevice {
  readonly entries = new Map<number, PasidEntry>();
  readonly engines: DmaEngine[] = [];
  /** info->pri_enabled (VT-d) / master->stall_enabled (SMMUv3): page faults can be resolved. */
  priEnabled = true;
  constructor(
    readonly name: string,
    /** PCI requester ID: bus << 8 | device << 3 | function. */
    readonly rid: number,
  ) {}

  /** "00:02.0", as dmar_fault_do_one prints a source-id. */
  get bdf(): string {
    const h = (v: number) => v.toString(16).padStart(2, '0');
    return `${h(this.rid >> 8)}:${h((this.rid >> 3) & 0x1f)}.${this.rid & 7}`;
  }
}

/**
 * A PRI page request (VT-d) or a stalled transaction (SMMUv3) waiting for a page response. The
 * transaction's page is described by `u` (its place in the buffer, see `pageIndex`), `missing`
 * (not faulted in yet: handle_mm_fault maps it) and `noVma` (the address has no VMA at all).
 */
export interface PageRequest {
  pasid: number;
  dev: IommuDevice;
  u: number;
  missing: boolean;
  noVma: boolean;
  write: boolean;
  sentAt: number;
  /** Delivered to the device engine after the page response's PCIe round trip. */
  respond: (req: PageRequest, code: number, reported: boolean) => void;
}

/** The address layout of an mm as the model lays it out: mlocked pages first, then anonymous ones. */
export interface MmLayout {
  locked: number;
  anon: number;
}

/** The page a transaction at buffer position u ∈ [0, 1) touches. */
export function pageIndex(l: MmLayout, u: number): number {
  return Math.floor(u * (l.locked + l.anon));
}

/**
 * Whether page p is still mapped. Teardown (munlock + unmap in exit_mmap, the reaper's unmap of
 * anonymous memory) takes pages from the top of each region, so the mapped part of a region is a
 * prefix of it: lockedPages / anonPages of the mm are the mapped counts.
 */
export function pagePresent(mm: MmStruct, l: MmLayout, p: number): boolean {
  return p < l.locked ? p < mm.lockedPages : p - l.locked < mm.anonPages;
}

/** Page p was unmapped by the reaper, which has not freed it yet (its invalidation is in flight). */
export function pageUnmapPending(mm: MmStruct, l: MmLayout, p: number): boolean {
  if (p < l.locked) return false;
  const q = p - l.locked;
  return q >= mm.anonPages && q < mm.anonPages + mm.unmapPending;
}

export const FAULT_NOT_PRESENT = 1;
export const FAULT_INVALID_PASID = 2;

/** The flavour-specific half of the IOMMU: VT-d (intel.ts) or SMMUv3 (arm_smmu.ts). */
export interface IommuHw {
  start(): void;
  /** Bind: make dev's entry for pasid point at mm, flush the entry caches. */
  setup(t: Task, dev: IommuDevice, pasid: number, mm: MmStruct): Gen;
  /** exit_mmap's release(): the quiet entry, then IOTLB and ATC invalidation. */
  quiet(t: Task, dev: IommuDevice, pasid: number): Gen;
  /** Unbind / detach: clear the entry, invalidate; faults are reported again. */
  clear(t: Task, dev: IommuDevice, pasid: number): Gen;
  /** Unbind: make sure no page request of pasid is pending anywhere. Returns the extra passes. */
  drain(t: Task, dev: IommuDevice, pasid: number): Gen<number>;
  /** The SVA notifier's invalidate_range for one device: IOTLB and ATC for the range. */
  invalidate(t: Task, dev: IommuDevice, pasid: number, start: number, end: number): Gen;
  /** The device side of a fault: a PRI page request (VT-d) or a stalled transaction (SMMUv3). */
  page_request(req: PageRequest): void;
  /** A translation hit a cleared entry: the fault the hardware reports. */
  bad_entry(eng: DmaEngine, u: number, write: boolean): void;
  /** The device uses ATS translation requests (VT-d); SMMUv3 stall masters do not. */
  readonly sendsAts: boolean;
}

/**
 * The IOMMU: the (global) PASID space, per-device PASID tables, translation, invalidation, the
 * fault queues and fault reporting. `flavour` selects the hardware and driver (the `iommu`
 * parameter); the SVA layer (sva.ts) calls the generic operations below, each of which runs the
 * flavour's kernel functions. Costs are model parameters.
 */
export class Iommu {
  readonly actor: number;
  readonly flavour: Flavour;
  readonly pasids: PasidAllocator;
  readonly devices = new Map<string, IommuDevice>();
  /** Every device engine (queue). */
  readonly engines: DmaEngine[] = [];
  readonly iopf: IopfQueue;
  readonly hw: IntelIommu | ArmSmmu;
  /** Faults reported (DMAR fault records, invalid-PASID page requests, SMMUv3 event records printed). */
  reportedErrors = 0;
  private readonly layouts = new WeakMap<MmStruct, MmLayout>();

  constructor(private readonly k: Kernel) {
    this.flavour = k.cfg.iommu;
    this.actor = k.sim.actor(this.flavour === 'smmuv3' ? 'iommu arm-smmu-v3.0.auto' : 'iommu dmar0', 'iommu');
    this.pasids = new PasidAllocator(k.sim, this.actor, k.cfg.pasidBits);
    this.iopf = new IopfQueue(k);
    this.hw = this.flavour === 'smmuv3' ? new ArmSmmu(k, this) : new IntelIommu(k, this);
  }

  start(): void {
    this.hw.start();
  }

  /** The VT-d page request queue (null on SMMUv3, which has none: faults stall, see arm_smmu.ts). */
  get prq(): IntelIommu['prq'] | null {
    return this.hw instanceof IntelIommu ? this.hw.prq : null;
  }

  /**
   * The device a queue belongs to. Queue names are "<device> <queue>" ("accel0 q1"): queues of one
   * device share its requester ID and PASID table, as uacce queues share their parent device.
   */
  deviceOf(queue: string): IommuDevice {
    const sp = queue.indexOf(' ');
    const name = sp < 0 ? queue : queue.slice(0, sp);
    let d = this.devices.get(name);
    if (!d) {
      // Bus 0, device 2 upwards, function 0.
      d = new IommuDevice(name, (2 + this.devices.size) << 3);
      this.devices.set(name, d);
    }
    return d;
  }

  /** The mm's layout, fixed when it is first bound (nothing of it has been freed then). */
  layoutOf(mm: MmStruct): MmLayout {
    let l = this.layouts.get(mm);
    if (!l) {
      l = { locked: mm.lockedPages, anon: mm.anonPages };
      this.layouts.set(mm, l);
    }
    return l;
  }

  entry(dev: IommuDevice, pasid: number): PasidEntry {
    let e = dev.entries.get(pasid);
    if (!e) {
      e = { state: PE_CLEARED, mm: null, actor: this.k.sim.actor(`pasid ${pasid} ${dev.name}`, 'pasid'), users: 0 };
      dev.entries.set(pasid, e);
    }
    return e;
  }

  setEntry(dev: IommuDevice, pasid: number, state: number, mm: MmStruct | null): PasidEntry {
    const e = this.entry(dev, pasid);
    e.state = state;
    e.mm = mm;
    this.k.sim.emit(KIND.pasid_entry, e.actor, state, mm?.actor ?? 0);
    return e;
  }

  /** An invalidation of `type` (1 PASID/CD cache, 2 IOTLB/TLBI, 3 device TLB/ATC, 4 drain) completes. */
  *inval(pasid: number, type: number, cost: number): Gen {
    if (cost > 0) yield cost;
    this.k.sim.emit(KIND.inval, this.actor, pasid, type);
  }

  /** The device-TLB (ATC) invalidation reached dev: every queue of it using pasid drops its ATC. */
  atcInvalidated(dev: IommuDevice, pasid: number): void {
    for (const e of dev.engines) if (e.pasid === pasid) e.invalidateAtc();
  }

  // ------------------------------------------------------------ operations the SVA layer calls

  /** Bind: write dev's entry (VT-d intel_pasid_setup_first_level; SMMUv3 arm_smmu_write_ctx_desc). */
  *setup_entry(t: Task, queue: string, pasid: number, mm: MmStruct): Gen {
    const dev = this.deviceOf(queue);
    this.layoutOf(mm);
    const e = this.entry(dev, pasid);
    e.users++;
    if (e.users === 1 || e.state !== PE_PRESENT || e.mm !== mm) yield* this.hw.setup(t, dev, pasid, mm);
  }

  /**
   * Tear dev's entry down. `faultIgnore` (the quiet release in exit_mmap): VT-d
   * intel_pasid_tear_down_entry(..., fault_ignore=true), SMMUv3 the quiet CD; the device is answered
   * and nothing is reported. Otherwise (unbind, the mm_exit model's detach) the entry is cleared and
   * faults are reported again; with other bonds on the same device entry, unbind keeps it.
   */
  *tear_down_entry(t: Task, queue: string, pasid: number, faultIgnore: boolean): Gen {
    const dev = this.deviceOf(queue);
    const e = this.entry(dev, pasid);
    if (faultIgnore) {
      if (e.state === PE_PRESENT) yield* this.hw.quiet(t, dev, pasid);
      return;
    }
    if (e.users > 0) e.users--;
    if (e.users > 0 && e.state === PE_PRESENT) return;
    e.users = 0;
    yield* this.hw.clear(t, dev, pasid);
  }

  /** Unbind's drain: intel_svm_drain_prq (VT-d) or the event queue and IOPF flush (SMMUv3). */
  *drain_prq(t: Task, queue: string, pasid: number): Gen<number> {
    return yield* this.hw.drain(t, this.deviceOf(queue), pasid);
  }

  /** The SVA notifier's invalidate_range for one bond's device. */
  *invalidate_range(t: Task, queue: string, pasid: number, start: number, end: number): Gen {
    yield* this.hw.invalidate(t, this.deviceOf(queue), pasid, start, end);
  }

  // ------------------------------------------------------------ the device side

  /**
   * Translate one transaction of engine `eng` at buffer position u (an ATS translation request on
   * VT-d, the SMMU's own walk for an SMMUv3 stall master). PRESENT: translated (the mm in
   * `eng.xlateMm`), or R=W=0 if the page is not mapped (never faulted in, no VMA, unmapped by
   * teardown). Quiet: R=W=0, silently. Cleared: Unsupported Request and a reported fault.
   */
  translate(eng: DmaEngine, u: number, missing: boolean, noVma: boolean, write: boolean): number {
    const e = eng.dev.entries.get(eng.pasid);
    if (!e || e.state === PE_CLEARED) {
      this.hw.bad_entry(eng, u, write);
      return ATS_UR;
    }
    if (e.state === PE_QUIET || missing || noVma) return ATS_RW0;
    const mm = e.mm as MmStruct;
    const l = this.layoutOf(mm);
    if (!pagePresent(mm, l, pageIndex(l, u))) return ATS_RW0;
    eng.xlateMm = mm;
    return ATS_OK;
  }

  /** Send a page response (VT-d page group response; SMMUv3 CMD_RESUME) after the round trip. */
  page_response(req: PageRequest, code: number, reported = false): void {
    this.k.sim.after(us(1), () => req.respond(req, code, reported), PRIO_HW);
  }

  /** A user address for the log lines: the buffer at 0x7f0000000000, page p of the owner's layout. */
  faultAddr(eng: DmaEngine, u: number): number {
    const l = eng.owner ? this.layoutOf(eng.owner) : { locked: 0, anon: 1 };
    return 0x7f0000000000 + pageIndex(l, u) * 4096;
  }

  logFault(msg: string): void {
    this.k.log.printk(KERN_ERR, msg, 0, 'fault');
  }

  logInfo(msg: string): void {
    this.k.log.printk(KERN_INFO, msg);
  }
}

export { PE_CLEARED, PE_PRESENT, PE_QUIET };
