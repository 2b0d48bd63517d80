import { KIND } from '../events';
import type { Sim } from '../engine';

/**
 * The PASID space (ioasid_alloc, drivers/iommu/ioasid.c; iommu_sva_alloc_pasid,
 * drivers/iommu/iommu-sva-lib.c): 20 bits at most, 0 reserved (RID_PASID), usable
 * [1, min(device max, IOMMU max) - 1]. Allocation returns the lowest free value, as xa_alloc does,
 * so a freed PASID is the next one handed out: why faults must be drained before freeing it.
 */
export class PasidAllocator {
  readonly max: number;
  private hw = 1;
  private readonly freed: number[] = [];
  readonly owners = new Map<number, number>();
  peak = 0;
  failures = 0;

  constructor(
    private readonly sim: Sim,
    private readonly actor: number,
    bits: number,
  ) {
    this.max = 2 ** bits;
  }

  get allocated(): number {
    return this.owners.size;
  }

  /** Returns the PASID, or 0 when the space is exhausted (-ENOSPC). */
  alloc(mmActor: number): number {
    let id: number;
    if (this.freed.length > 0) id = popMin(this.freed);
    else if (this.hw <= this.max - 1) id = this.hw++;
    else {
      this.failures++;
      this.sim.emit(KIND.pasid_alloc_fail, this.actor, this.max - 1);
      return 0;
    }
    this.owners.set(id, mmActor);
    this.peak = Math.max(this.peak, this.owners.size);
    this.sim.emit(KIND.pasid_alloc, this.actor, id, mmActor);
    this.sim.emit(KIND.pasids, this.actor, this.owners.size);
    return id;
  }

  free(id: number, mmActor: number): void {
    if (!this.owners.has(id)) this.sim.invariant(`double free of PASID ${id}`);
    this.owners.delete(id);
    pushHeap(this.freed, id);
    this.sim.emit(KIND.pasid_free, this.actor, id, mmActor);
    this.sim.emit(KIND.pasids, this.actor, this.owners.size);
  }
}

function pushHeap(h: number[], v: number): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p] <= v) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = v;
}

function popMin(h: number[]): number {
  const top = h[0];
  const last = h.pop() as number;
  if (h.length > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r] < h[l] ? r : l;
      if (h[c] >= last) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
  return top;
}
