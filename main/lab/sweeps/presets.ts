import { UserError } from '../errors';
import type { SweepDefinition } from './grid';

/** How to draw a sweep: `metric` (y) against parameter `x`, one series per value of `series`. */
export interface PlotSpec {
  metric: string;
  x: string;
  /** 'log' or 'linear' for a numeric parameter; 'category' for a bool or enum one. */
  xScale: 'log' | 'linear' | 'category';
  yScale: 'log' | 'linear';
  series: string;
}

/** A built-in sweep that draws one of the seed commit's arguments from recorded runs. */
export interface SweepPreset {
  name: string;
  title: string;
  /** What the curve should show, in a sentence or two. */
  story: string;
  definition: SweepDefinition & { preset: string };
  /** The plots that tell the story; the first is the default view. */
  plots: PlotSpec[];
}

const LOG_DMA_STOP_MS = [10, 30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000, 300_000];

export const PRESETS: readonly SweepPreset[] = [
  {
    name: 'innocent-victims',
    title: 'Innocent OOM victims and time to free memory vs DMA stop time',
    story:
      'With mm_exit, release() waits for the device to stop, so the OOM victim\'s locked memory stays pinned that long. ' +
      'The reaper sets MMF_OOM_SKIP within milliseconds; once the stop outlasts the allocator\'s next retries, the next ' +
      'allocation failure kills a second, innocent process, and memory comes back only after the stop. With the quiet ' +
      'release one victim is enough and memory comes back in tens of ms whatever the device does.',
    definition: {
      preset: 'innocent-victims',
      scenario: 'oom-bound-victim',
      vary: [
        { key: 'dmaStopMs', values: LOG_DMA_STOP_MS },
        { key: 'mmExit', values: [true, false] },
      ],
      seeds: 1,
      metrics: ['innocentVictims', 'memoryFreedNs', 'oomVictims', 'releaseLatencyNs.max'],
    },
    plots: [
      { metric: 'innocentVictims', x: 'dmaStopMs', xScale: 'log', yScale: 'linear', series: 'mmExit' },
      { metric: 'memoryFreedNs', x: 'dmaStopMs', xScale: 'log', yScale: 'log', series: 'mmExit' },
    ],
  },
  {
    name: 'iopf-lockups',
    title: 'Lockups vs how the I/O page-fault handler drops its mm reference',
    story:
      'When the fault handler drops the last mm reference with mmput, exit_mmap runs on the IOPF workqueue and, with ' +
      'mm_exit, flushes that same workqueue: a deadlock that khungtaskd reports. mmput_async, or the quiet release, avoids it.',
    definition: {
      preset: 'iopf-lockups',
      scenario: 'iopf-last-mmput',
      vary: [
        { key: 'iopfPut', values: ['mmput', 'mmput_async'] },
        { key: 'mmExit', values: [true, false] },
      ],
      seeds: 3,
      metrics: ['lockups', 'hungTaskReports'],
    },
    plots: [
      { metric: 'lockups', x: 'iopfPut', xScale: 'category', yScale: 'linear', series: 'mmExit' },
      { metric: 'hungTaskReports', x: 'iopfPut', xScale: 'category', yScale: 'linear', series: 'mmExit' },
    ],
  },
  {
    name: 'pasid-held',
    title: 'PASIDs held by dead mms vs unbind delay (~v5.18 per-mm PASID)',
    story:
      'Freed at the last unbind, a dead mm\'s PASID is held as long as the unbind is late. Freed at mmdrop (one PASID ' +
      'per mm, ~v5.18), any mm_count holder such as a lazy-TLB CPU keeps it even when unbind is immediate, so a narrow ' +
      'PASID space runs out and binds fail.',
    definition: {
      preset: 'pasid-held',
      scenario: 'pasid-lifetime',
      vary: [
        { key: 'unbindDelayMs', values: [0, 50, 100, 200, 300, 500, 1000] },
        { key: 'pasidPerMm', values: [true, false] },
      ],
      seeds: 1,
      metrics: ['pasidsHeldByDeadMmsPeak', 'pasidAllocFailures', 'pasidsPeak'],
    },
    plots: [
      { metric: 'pasidsHeldByDeadMmsPeak', x: 'unbindDelayMs', xScale: 'linear', yScale: 'linear', series: 'pasidPerMm' },
      { metric: 'pasidAllocFailures', x: 'unbindDelayMs', xScale: 'linear', yScale: 'linear', series: 'pasidPerMm' },
    ],
  },
];

export function findPreset(name: string): SweepPreset | undefined {
  return PRESETS.find((p) => p.name === name);
}

export function presetOrThrow(name: string): SweepPreset {
  const p = findPreset(name);
  if (!p) throw new UserError(`Unknown preset '${name}'; valid presets: ${PRESETS.map((x) => x.name).join(', ')}.`);
  return p;
}
