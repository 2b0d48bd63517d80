import type { Design } from '../sim/design';

/**
 * How the lab names things, each in one function: a run's trace file (traceName) and the time
 * stamp in it. Pure (no node:*), so the renderer's test fake names its runs the same way.
 */

/** A wall-clock time as a sortable file-name stamp: `20261123-201500`. */
export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
}

/**
 * The one rule for naming a trace file: `<prefix>-<design>-s<seed>.sqlite`, where the prefix is
 * `<stamp>-<scenario>` for a run (sortable by start time, readable at a glance) or
 * `<sweep id>-p<point>` for a run of a sweep.
 */
export function traceName(prefix: string, design: Design, seed: number): string {
  return `${prefix}-${design}-s${seed}.sqlite`;
}

/** The trace file name of a run of `scenario` started at `created`. */
export function runFileName(created: Date, scenario: string, design: Design, seed: number): string {
  return traceName(`${stamp(created)}-${scenario}`, design, seed);
}
