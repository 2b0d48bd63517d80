import type { LineClass, LineKind } from './types';

/**
 * What one kernel message says, in the kernel's words: the printk formats of mm/oom_kill.c,
 * kernel/hung_task.c, kernel/panic.c, kernel/sched/core.c (__might_sleep), kernel/locking/lockdep.c,
 * drivers/iommu/intel/dmar.c, drivers/iommu/amd/iommu.c, drivers/iommu/arm/arm-smmu-v3, and the
 * ftrace events of include/trace/events/{oom,sched,signal,iommu}.h. A message none of them matches is
 * a plain `printk`.
 */
export interface MessageInfo {
  kind: LineKind;
  cls: LineClass;
  args: Record<string, unknown>;
}

/** `key:123kB` fields of the OOM lines, as numbers of kB. */
function kbFields(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of s.matchAll(/(?<![\w-])([A-Za-z][\w-]*):(-?\d+)(kB)?/g)) out[m[1].replace(/[-_](\w)/g, (_, c: string) => c.toUpperCase())] = Number(m[2]);
  return out;
}

/** A printk message (the line without its stamps). */
export function classifyMessage(msg: string): MessageInfo {
  let m: RegExpExecArray | null;
  // mm/oom_kill.c dump_header: "%s invoked oom-killer: gfp_mask=%#x(%pGg), order=%d, oom_score_adj=%hd"
  if ((m = /^(.+?) invoked oom-killer: gfp_mask=(\S+), order=(-?\d+), oom_score_adj=(-?\d+)/.exec(msg)))
    return { kind: 'oom_invoke', cls: 'oom', args: { comm: m[1], gfpMask: m[2].replace(/,$/, ''), order: Number(m[3]), adj: Number(m[4]) } };
  // __oom_kill_process: "%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, ..." ("Out of memory", "Memory cgroup out of memory")
  if ((m = /(?:^|: )Killed process (\d+) \((.*?)\)(.*)$/.exec(msg))) {
    const f = kbFields(m[3]);
    return { kind: 'oom_kill', cls: 'oom', args: { pid: Number(m[1]), comm: m[2], memcg: /^Memory cgroup/.test(msg), ...f } };
  }
  // oom_reap_task_mm: "oom_reaper: reaped process %d (%s), now anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB"
  if ((m = /^oom_reaper: reaped process (\d+) \((.*?)\),?(.*)$/.exec(msg))) return { kind: 'reap_end', cls: 'oom', args: { pid: Number(m[1]), comm: m[2], reaped: true, ...kbFields(m[3]) } };
  // oom_reap_task: "oom_reaper: unable to reap pid:%d (%s)"
  if ((m = /^oom_reaper: unable to reap pid:(\d+) \((.*?)\)/.exec(msg))) return { kind: 'oom_reap_fail', cls: 'oom', args: { pid: Number(m[1]), comm: m[2] } };
  if (/^Out of memory and no killable processes/.test(msg)) return { kind: 'oom_none', cls: 'oom', args: {} };
  if (/^oom-kill:constraint=/.test(msg) || /^Out of memory/.test(msg) || /^Memory cgroup (?:out of memory|stats)/.test(msg)) return { kind: 'printk', cls: 'oom', args: {} };
  // kernel/hung_task.c: "INFO: task %s:%d blocked for more than %ld seconds."
  if ((m = /^INFO: task (.+):(\d+) blocked for more than (\d+) seconds\./.exec(msg))) return { kind: 'hung_task', cls: 'hung', args: { comm: m[1], pid: Number(m[2]), secs: Number(m[3]) } };
  // kernel/panic.c: "Kernel panic - not syncing: %s"
  if ((m = /^Kernel panic - not syncing: (.*)$/.exec(msg))) return { kind: 'panic', cls: 'info', args: { msg: m[1] } };
  // __might_sleep: "BUG: sleeping function called from invalid context at %s:%d"
  if ((m = /^BUG: sleeping function called from invalid context at (\S+)/.exec(msg))) return { kind: 'might_sleep', cls: 'info', args: { at: m[1] } };
  // lockdep.c print_circular_bug_header and friends: "WARNING: possible circular locking dependency detected"
  if ((m = /^(?:WARNING|INFO|BUG): ((?:possible (?:circular locking dependency|recursive locking|irq lock inversion dependency) detected)|inconsistent lock state|bad unlock balance detected!|held lock freed!|lock held when returning to user space!|suspicious RCU usage\.?)/.exec(msg)))
    return { kind: 'lockdep', cls: 'info', args: { title: m[1] } };
  // drivers/iommu/intel/dmar.c dmar_fault: "DRHD: handling fault status reg %x"
  if ((m = /DMAR: DRHD: handling fault status reg (\w+)/.exec(msg))) return { kind: 'printk', cls: 'fault', args: { faultStatus: m[1] } };
  // dmar_fault_do_one: "[%s] Request device [%02x:%02x.%d] PASID %x fault addr %llx [fault reason %02d] %s" (v5.6; later "[DMA Read NO_PASID] ... [fault reason 0x%02x]")
  if ((m = /DMAR: \[(DMA Read|DMA Write|INTR-REMAP|Page Request)(?: (NO_PASID|PASID \w+))?\] Request device \[([0-9a-f:.]+)\](?: PASID (\w+))? fault (?:addr|index) (?:0x)?([0-9a-f]+)\s*\[fault reason (?:0x)?([0-9a-f]+)\] ?(.*)$/i.exec(msg)))
    return { kind: 'dmar_fault', cls: 'fault', args: { type: m[1], device: m[3], pasid: m[4] ?? (m[2]?.startsWith('PASID') ? m[2].slice(6) : null), addr: `0x${m[5]}`, reason: m[6], reasonText: m[7] } };
  // drivers/iommu/amd/iommu.c amd_iommu_report_page_fault / iommu_print_event: "Event logged [IO_PAGE_FAULT domain=0x%04x address=0x%llx flags=0x%04x]"
  if ((m = /(?:^(\S+ \S+): )?AMD-Vi: Event logged \[IO_PAGE_FAULT(?: device=([0-9a-f:.]+))? domain=(\w+) address=(\w+) flags=(\w+)\]/.exec(msg)))
    return { kind: 'io_page_fault', cls: 'fault', args: { iommu: 'amd-vi', device: m[2] ?? m[1] ?? null, domain: m[3], address: m[4], flags: m[5] } };
  if (/AMD-Vi: Event logged \[/.test(msg)) return { kind: 'printk', cls: 'fault', args: {} };
  // arm-smmu-v3.c arm_smmu_evtq_thread: "event 0x%02x received:", then the raw words "\t0x%016llx"; newer kernels decode it ("event: %s client: %s sid: %#x ssid: %#x iova: %#llx ipa: %#llx")
  if ((m = /^(arm-smmu-v3 \S+): event 0x([0-9a-f]+) received:/.exec(msg))) return { kind: 'smmu_evt', cls: 'fault', args: { smmu: m[1].slice(12), id: `0x${m[2]}` } };
  if (/^(arm-smmu-v3 \S+):\s+(?:0x[0-9a-f]{16}$|event: |\w+ \w+ \w+ \w+ "|\w.* stag: )/.test(msg)) {
    const d = /event: (\S+) client: (\S+) sid: (\S+) ssid: (\S+) iova: (\S+)/.exec(msg);
    return { kind: 'printk', cls: 'fault', args: d ? { event: d[1], client: d[2], sid: d[3], ssid: d[4], iova: d[5] } : {} };
  }
  return { kind: 'printk', cls: 'info', args: {} };
}

/** `key=value` pairs of an ftrace event line, values as numbers where they are. */
function kv(s: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of s.matchAll(/(?<!\w)([A-Za-z_]\w*)=(\S+)/g)) out[m[1]] = /^-?\d+$/.test(m[2]) ? Number(m[2]) : m[2];
  return out;
}

/**
 * An ftrace line's function column (`event: fields`, or a function tracer's `fn+off/len <-caller`).
 * The oom tracepoints map onto the model's kinds: mark_victim is the kill (it fires in
 * __oom_kill_process), start_task_reaping/finish_task_reaping an oom_reaper pass that reaps,
 * skip_task_reaping one that finds MMF_OOM_SKIP already set (the model's reap_end b = 2).
 */
export function classifyFtrace(rest: string): MessageInfo {
  const m = /^([a-z_][\w]*): (.*)$/.exec(rest);
  if (!m) {
    const f = /^([\w.]+)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?\s+<-\s*([\w.]+)/.exec(rest);
    if (f) return { kind: 'ftrace', cls: 'info', args: { fn: f[1], parent: f[2] } };
    return { kind: 'ftrace', cls: 'info', args: { event: rest.startsWith('<stack trace>') ? 'stack_trace' : null } };
  }
  const ev = m[1];
  const f = kv(m[2]);
  switch (ev) {
    case 'mark_victim':
      return { kind: 'oom_kill', cls: 'oom', args: { event: ev, ...f } };
    case 'start_task_reaping':
      return { kind: 'reap_begin', cls: 'oom', args: { event: ev, ...f } };
    case 'finish_task_reaping':
      return { kind: 'reap_end', cls: 'oom', args: { event: ev, reaped: true, ...f } };
    case 'skip_task_reaping':
      return { kind: 'reap_end', cls: 'oom', args: { event: ev, reaped: false, skipped: true, ...f } };
    case 'sched_process_exit':
      return { kind: 'sched_process_exit', cls: 'info', args: { event: ev, ...f } };
    case 'signal_generate':
      return { kind: 'signal', cls: 'info', args: { event: ev, ...f } };
    case 'io_page_fault': {
      // include/trace/events/iommu.h: "IOMMU:%s %s iova=0x%016llx flags=0x%04x" (driver, device)
      const p = /^IOMMU:(\S+) (\S+) iova=(\S+) flags=(\S+)/.exec(m[2]);
      return { kind: 'io_page_fault', cls: 'fault', args: { event: ev, iommu: 'ftrace', ...(p ? { driver: p[1], device: p[2], address: p[3], flags: p[4] } : f) } };
    }
    default:
      return { kind: 'ftrace', cls: ev.includes('oom') || ev.includes('reaper') ? 'oom' : 'info', args: { event: ev, ...f } };
  }
}

/** A call-trace frame: ` ? fn+0x1b/0x20 [module]` (also ftrace's ` => fn+0x18/0xbe0`). */
export const FRAME_RE = /^\s*(?:=>\s*)?(\? )?([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[(\w+)\])?\s*$/;

/** The function of a frame line, or null (`unreliable` for `?` frames). */
export function frameOf(msg: string): { fn: string; unreliable: boolean } | null {
  const m = FRAME_RE.exec(msg);
  return m ? { fn: m[2], unreliable: m[1] !== undefined } : null;
}

