import type { Design } from '../sim/design';

/**
 * How the lab names things, each in one function: a run's trace file (traceName), a sweep and its
 * runs' files, an observed run's file, and the time stamp in them. Pure (no node:*), so the
 * renderer's test fake names its runs the same way.
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

/** The id of a sweep of `name` (its preset, or else its scenario) started at `created`, before any `-2`, `-3`... that keeps it unique. */
export function sweepId(created: Date, name: string): string {
  return `${stamp(created)}-${name}`;
}

/** How the trace files of sweep `id`'s runs start: no other sweep may take an id that makes them ambiguous. */
export function sweepRunPrefix(id: string): string {
  return `${id}-p`;
}

/**
 * The trace file name of the run with `seed` at grid point `point` (of `points`) of sweep `id`: the
 * point padded to the width of the last one, so a sweep's files sort by point.
 */
export function sweepRunFileName(id: string, point: number, points: number, design: Design, seed: number): string {
  return traceName(`${sweepRunPrefix(id)}${String(point).padStart(String(points - 1).length, '0')}`, design, seed);
}

/**
 * The sweep id a trace file belongs to (the inverse of sweepRunFileName), or null for a file that is
 * not named as a sweep's run.
 */
export function sweepOfRunFile(file: string): string | null {
  return /^(.+)-p\d+-(?:mm_exit|quiet)-s\d+\.sqlite$/.exec(file)?.[1] ?? null;
}

/** An archive file name for a run observed in the kernel log named `file` (a file name, no folder): `<stamp>-observed-<file>.sqlite`. */
export function observedFileName(file: string, now: Date): string {
  const base = file.replace(/\.sqlite$/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || 'kernel-log';
  return `${stamp(now)}-observed-${base}.sqlite`;
}
