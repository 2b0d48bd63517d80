import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunId, RunListItem } from '../contract';
import { designOf } from '../sim/design';
import { TraceFileError } from '../trace/errors';
import { UserError } from './errors';
import { withTrace } from './readers';
import { listedParams } from './shape';
import { sweepOfRunFile } from './names';

/**
 * The archive folder: `SVA_LAB_HOME` if set, else the platform's user-data folder for "sva-lab"
 * (Linux `$XDG_DATA_HOME/sva-lab` or `~/.local/share/sva-lab`; macOS
 * `~/Library/Application Support/sva-lab`; Windows `%APPDATA%/sva-lab`).
 */
export function archiveDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SVA_LAB_HOME) return path.resolve(env.SVA_LAB_HOME);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'sva-lab');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'sva-lab');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'sva-lab');
}

/** Create `file` empty and exclusively (so two runs started at once never collide); false if it exists. */
export function reserve(file: string): boolean {
  try {
    fs.closeSync(fs.openSync(file, 'wx'));
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'ENOSPC') throw new UserError(`The disk is full: the trace file '${file}' cannot be created; free some space and try again.`);
    if (code === 'EROFS') throw new UserError(`The trace file '${file}' cannot be created: its folder is on a read-only file system; set SVA_LAB_HOME (or --out) to a writable folder.`);
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`The trace file '${file}' cannot be created: permission denied in its folder; set SVA_LAB_HOME (or --out) to a folder you can write.`);
    throw new UserError(`Cannot create the trace file '${file}': ${(e as Error).message}.`);
  }
}

/** Reserve `base` in `dir`, or `base-2`, `base-3`... if taken; returns the path reserved. */
export function reserveIn(dir: string, base: string): string {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw archiveWriteError(dir, e);
  }
  let file = path.join(dir, base);
  for (let i = 2; !reserve(file); i++) file = path.join(dir, base.replace(/\.sqlite$/, `-${i}.sqlite`));
  return file;
}

/** A trace still 'running' whose file (and -wal) has not changed for this long has no recorder (ms): a recorder commits a batch many times a second. */
export const ORPHAN_QUIET_MS = 30_000;

/** The newest modification time of a trace and its -wal (ms since the epoch), 0 if neither exists. */
function lastWrite(file: string): number {
  let t = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      t = Math.max(t, fs.statSync(f).mtimeMs);
    } catch {
      // absent
    }
  }
  return t;
}

/** One sentence for a failure to write into the archive folder (read-only, full, permission). */
export function archiveWriteError(home: string, e: unknown): UserError {
  let code = (e as NodeJS.ErrnoException).code;
  // A recursive mkdir on a read-only file system reports ENOENT: ask the nearest existing folder why.
  if (code === 'ENOENT') {
    let dir = path.resolve(home);
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (x) {
      code = (x as NodeJS.ErrnoException).code ?? code;
    }
  }
  if (code === 'ENOSPC') return new UserError(`The disk holding the archive ${home} is full; free some space and try again.`);
  if (code === 'EROFS') return new UserError(`The archive ${home} is on a read-only file system; set SVA_LAB_HOME to a writable folder.`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`The archive ${home} cannot be written: permission denied; set SVA_LAB_HOME to a folder you can write.`);
  if (e instanceof UserError) return e;
  return new UserError(`Cannot write into the archive ${home}: ${e instanceof Error ? e.message : String(e)}.`);
}

/**
 * The archive: a folder of trace files, one per run, named by their file name (the RunId).
 * Trace files elsewhere (the command line's FILE arguments) are attached under their path, which
 * then serves as their RunId in this process; nothing from a transport can attach one.
 */
export class Archive {
  private readonly attached = new Map<RunId, string>();
  /** Is this lab recording the run right now? (set by the lab; a recording run's trace is read as running) */
  recording: (id: RunId) => boolean = () => false;

  constructor(readonly home: string) {}

  /** The file of a run; a name with a path in it that was not attached, or a missing run, is refused. */
  fileOf(id: RunId): string {
    const a = this.attached.get(id);
    if (a !== undefined) return a;
    if (path.basename(id) !== id || !id.endsWith('.sqlite')) throw new UserError(`'${id}' is not a run in the archive; a run id is a trace file name ending in .sqlite.`);
    const f = path.join(this.home, id);
    if (!fs.existsSync(f)) throw new UserError(`There is no run '${id}' in the archive ${this.home}.`);
    return f;
  }

  /** The RunId of a trace file given by path: the path itself, attached. Its errors name the path as given. */
  runOf(file: string): RunId {
    this.attached.set(file, file);
    return file;
  }

  /** The trace files of the archive (names), newest first. */
  private names(): string[] {
    if (!fs.existsSync(this.home)) return [];
    let all: string[];
    try {
      all = fs.readdirSync(this.home);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(code === 'EACCES' || code === 'EPERM' ? `The archive ${this.home} cannot be read: permission denied.` : `The archive ${this.home} cannot be read: ${(e as Error).message}.`);
    }
    return all.filter((f) => f.endsWith('.sqlite')).sort().reverse();
  }

  /** The runs in the archive, newest first. Unreadable files are listed as failed, with a `problem`. */
  list(): RunListItem[] {
    return this.names().map((id) => this.listItem(id, path.join(this.home, id)));
  }

  /** The list item of one run. */
  item(id: RunId): RunListItem {
    return this.listItem(path.basename(id), this.fileOf(id));
  }

  /**
   * Traces left 'running' by a recording process that was killed: status running, nobody in this
   * lab records them, and neither the file nor its -wal changed for ORPHAN_QUIET_MS (a recorder in
   * another process keeps writing). Reading the meta is cheap; closing them is not (lab.ts does
   * it in a reader worker).
   */
  orphans(now = Date.now()): string[] {
    const out: string[] = [];
    for (const id of this.names()) {
      const f = path.join(this.home, id);
      if (this.recording(id) || now - lastWrite(f) < ORPHAN_QUIET_MS) continue;
      try {
        if (withTrace(f, (r) => r.meta().status) === 'running') out.push(f);
      } catch {
        // unreadable: the list says why
      }
    }
    return out;
  }

  /**
   * Check a trace from elsewhere and copy it into the archive. `copy` checks and copies into a
   * temporary name in the archive (through SQLite, in a reader worker: trace/copy.ts); the copy
   * then takes its final name without replacing anything (a hard link, then the temporary name
   * goes), so two imports of one name at once both land.
   */
  async import(src: string, copy: (src: string, dest: string) => Promise<unknown>): Promise<RunId> {
    try {
      fs.mkdirSync(this.home, { recursive: true });
    } catch (e) {
      throw archiveWriteError(this.home, e);
    }
    const base = path.basename(src).endsWith('.sqlite') ? path.basename(src) : `${path.basename(src)}.sqlite`;
    if (path.resolve(src) === path.join(this.home, base)) throw new UserError(`'${src}' is already in the archive.`);
    const tmp = path.join(this.home, `.import-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
    // Can the archive be written at all? (Said of the archive, not of a temporary name.)
    try {
      fs.closeSync(fs.openSync(tmp, 'wx'));
      fs.rmSync(tmp);
    } catch (e) {
      throw archiveWriteError(this.home, e);
    }
    try {
      await copy(src, tmp);
      let file = path.join(this.home, base);
      for (let i = 2; ; i++) {
        try {
          fs.linkSync(tmp, file);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw archiveWriteError(this.home, e);
          file = path.join(this.home, base.replace(/\.sqlite$/, `-${i}.sqlite`));
        }
      }
      return path.basename(file);
    } finally {
      for (const s of ['', '-wal', '-shm', '-journal']) fs.rmSync(tmp + s, { force: true });
    }
  }

  /** Delete a run's file (and any side files). */
  remove(id: RunId): void {
    const f = this.fileOf(id);
    try {
      for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(f + suffix, { force: true });
    } catch (e) {
      throw archiveWriteError(this.home, e);
    }
  }

  /** One archived run as the list shows it, read from its meta; a file that is not a readable trace is listed as failed with its `problem`. */
  private listItem(id: RunId, file: string): RunListItem {
    let bytes = 0;
    try {
      bytes = fs.statSync(file).size;
    } catch {
      // listed anyway; the reader says what is wrong
    }
    const live = this.recording(id) || (bytes === 0 && Date.now() - lastWrite(file) < ORPHAN_QUIET_MS);
    try {
      return withTrace(file, (r) => {
        const m = r.meta();
        const params = listedParams(m.scenario, m.params);
        // Still 'running': this lab records it, or someone else does (written lately); else it was interrupted.
        const status = m.status === 'running' && !live && Date.now() - lastWrite(file) >= ORPHAN_QUIET_MS ? 'interrupted' : m.status;
        return { id, scenario: m.scenario, model: m.model === 'observed' ? 'observed' : designOf(m.params), seed: m.seed, params, status, created: m.created, events: m.status === 'running' ? r.countRows() : m.events, endTimeNs: m.endTimeNs, metrics: m.metrics, bytes, digest: m.digest, sweep: sweepOfRunFile(id) };
      });
    } catch (e) {
      // A run that has just started may not have its header yet: it is running, not broken.
      if (live) return { id, scenario: '(starting)', model: 'quiet', seed: 0, params: {}, status: 'running', created: '', events: 0, endTimeNs: 0, metrics: null, bytes };
      const problem = e instanceof TraceFileError || e instanceof UserError ? e.message : String(e);
      return { id, scenario: '(unreadable)', model: 'quiet', seed: 0, params: {}, status: 'failed', created: '', events: 0, endTimeNs: 0, metrics: null, bytes, problem };
    }
  }
}
