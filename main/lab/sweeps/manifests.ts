import type { SweepListItemDto } from '../../contract';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors';
import { sweepRunPrefix } from '../names';
import type { ResolvedSweepDefinition, SweepPointDto } from './grid';

/**
 * `interrupted`: the manifest still says running but the process that ran it is gone (killed,
 * crashed); finished runs are kept as for a cancelled sweep.
 */
export type SweepStatus = 'running' | 'complete' | 'cancelled' | 'interrupted';

/** A sweep as its manifest (`<archive>/sweeps/<id>.json`) records it; updated as runs finish. */
export interface SweepRecord {
  id: string;
  definition: ResolvedSweepDefinition;
  /** ISO times (wall clock) of the start and of the end (null while running). */
  created: string;
  finished: string | null;
  status: SweepStatus;
  /** Runs in the grid (points × seeds) and runs finished (complete, cancelled or failed). */
  total: number;
  done: number;
  appVersion: string;
  modelVersion: number;
  points: SweepPointDto[];
}

/** One sweep in the list, without its runs (`problem` is set for a manifest that cannot be read). */
export type SweepListItem = SweepListItemDto;

/** Manifest on disk: the DTO plus who is running it, so a dead runner can be told from a live one. */
export interface Manifest extends SweepRecord {
  format: 1;
  runner: { pid: number; host: string };
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The sweeps' manifests, `<home>/sweeps/<id>.json`: reserved exclusively, replaced atomically as
 * runs finish, read back (a sweep whose runner died reads as interrupted) and listed.
 */
export class SweepManifests {
  constructor(readonly home: string) {}

  /** The folder of the manifests. */
  get dir(): string {
    return path.join(this.home, 'sweeps');
  }

  /** The sweeps in the archive, newest first. Unreadable manifests are listed with a `problem`. */
  list(): SweepListItem[] {
    if (!fs.existsSync(this.dir)) return [];
    const ids = fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort()
      .reverse();
    return ids.map((id) => {
      try {
        const m = this.read(id);
        const d = m.definition;
        return { id, scenario: d.scenario, preset: d.preset, vary: d.vary, seeds: d.seeds, status: m.status, created: m.created, finished: m.finished, total: m.total, done: m.done };
      } catch (e) {
        const problem = e instanceof Error ? e.message : String(e);
        return { id, scenario: '', preset: null, vary: [], seeds: 0, status: 'interrupted', created: '', finished: null, total: 0, done: 0, problem };
      }
    });
  }

  private file(id: string): string {
    if (!ID_RE.test(id)) throw new UserError(`'${id}' is not a sweep id (letters, digits, '.', '_' and '-'); \`sva-lab sweeps\` lists them.`);
    return path.join(this.dir, `${id}.json`);
  }

  read(id: string): Manifest {
    const f = this.file(id);
    if (!fs.existsSync(f)) throw new UserError(`There is no sweep '${id}' in ${this.home}; \`sva-lab sweeps\` lists them.`);
    let m: Manifest;
    try {
      m = JSON.parse(fs.readFileSync(f, 'utf8')) as Manifest;
    } catch (e) {
      throw new UserError(`The manifest of sweep '${id}' (${f}) is not valid JSON: ${(e as Error).message}.`);
    }
    if (m.format !== 1 || !m.definition || !Array.isArray(m.points)) throw new UserError(`The manifest of sweep '${id}' (${f}) is not a sweep manifest this version can read.`);
    // A sweep whose runner died (killed, crashed) is not running any more.
    if (m.status === 'running' && m.runner?.host === os.hostname() && !alive(m.runner.pid)) m.status = 'interrupted';
    return m;
  }

  /** Atomic replace, so a reader (the UI polling, `sva-lab sweeps`) never sees half a manifest. */
  write(m: Manifest): void {
    const f = this.file(m.id);
    const tmp = `${f}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(m, null, 1)}\n`);
    fs.renameSync(tmp, f);
  }

  /** Create the manifest file exclusively under `base` (or `base-2`, ...), with no trace already named after it. */
  reserveId(base: string): string {
    fs.mkdirSync(this.dir, { recursive: true });
    const traces = fs.readdirSync(this.home);
    for (let i = 1; ; i++) {
      const id = i === 1 ? base : `${base}-${i}`;
      if (traces.some((t) => t.startsWith(sweepRunPrefix(id)))) continue;
      try {
        fs.closeSync(fs.openSync(this.file(id), 'wx'));
        return id;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`Cannot create the sweep manifest in '${this.dir}': ${(e as Error).message}.`);
      }
    }
  }
}
