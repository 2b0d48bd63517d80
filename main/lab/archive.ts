import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunId, RunListItem } from '../contract';
import { designOf, type Design } from '../sim/design';
import { findScenario } from '../sim/scenarios/index';
import { TraceFileError } from '../trace/errors';
import { asUser, UserError } from './errors';
import { withTrace } from './readers';

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

/** Create `file` empty and exclusively (so two runs started at once never collide); false if it exists. */
export function reserve(file: string): boolean {
  try {
    fs.closeSync(fs.openSync(file, 'wx'));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new UserError(`Cannot create the trace file '${file}': ${(e as Error).message}.`);
  }
}

/** Reserve `base` in `dir`, or `base-2`, `base-3`... if taken; returns the path reserved. */
export function reserveIn(dir: string, base: string): string {
  fs.mkdirSync(dir, { recursive: true });
  let file = path.join(dir, base);
  for (let i = 2; !reserve(file); i++) file = path.join(dir, base.replace(/\.sqlite$/, `-${i}.sqlite`));
  return file;
}

/**
 * The archive: a folder of trace files, one per run, named by their file name (the RunId).
 * Trace files elsewhere (the command line's FILE arguments) are attached under their path, which
 * then serves as their RunId in this process; nothing from a transport can attach one.
 */
export class Archive {
  private readonly attached = new Map<RunId, string>();

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

  /** The runs in the archive, newest first. Unreadable files are listed as failed, with a `problem`. */
  list(): RunListItem[] {
    if (!fs.existsSync(this.home)) return [];
    const names = fs.readdirSync(this.home).filter((f) => f.endsWith('.sqlite')).sort().reverse();
    return names.map((id) => listItem(id, path.join(this.home, id)));
  }

  /** The list item of one run. */
  item(id: RunId): RunListItem {
    return listItem(path.basename(id), this.fileOf(id));
  }

  /** Validate a trace from elsewhere (header, tables, integrity, event count), then copy it into the archive. */
  import(src: string): RunId {
    asUser(() =>
      withTrace(src, (r) => {
        const ok = r.integrity();
        if (ok !== 'ok') throw new TraceFileError(`'${src}' is corrupt (integrity check: ${ok}).`);
        const m = r.meta();
        if (r.countRows() !== m.events && m.status !== 'running') throw new TraceFileError(`'${src}' is inconsistent: meta says ${m.events} events but it holds ${r.countRows()}.`);
      }),
    );
    fs.mkdirSync(this.home, { recursive: true });
    const base = path.basename(src).endsWith('.sqlite') ? path.basename(src) : `${path.basename(src)}.sqlite`;
    let file = path.join(this.home, base);
    if (path.resolve(src) === file) throw new UserError(`'${src}' is already in the archive.`);
    for (let i = 2; fs.existsSync(file); i++) file = path.join(this.home, base.replace(/\.sqlite$/, `-${i}.sqlite`));
    fs.copyFileSync(src, file, fs.constants.COPYFILE_EXCL);
    return path.basename(file);
  }

  /** Delete a run's file (and any side files). */
  remove(id: RunId): void {
    const f = this.fileOf(id);
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(f + suffix, { force: true });
  }
}

/** One archived run as the list shows it, read from its meta; a file that is not a readable trace is listed as failed with its `problem`. */
function listItem(id: RunId, file: string): RunListItem {
  let bytes = 0;
  try {
    bytes = fs.statSync(file).size;
  } catch {
    // listed anyway; the reader says what is wrong
  }
  try {
    return withTrace(file, (r) => {
      const m = r.meta();
      const sc = findScenario(m.scenario);
      // The parameters that tell runs of a scenario apart: not the model's costs.
      const keys = new Set((sc?.params ?? []).filter((p) => p.group !== 'cost').map((p) => p.key));
      const params = Object.fromEntries(Object.entries(m.params).filter(([k]) => keys.has(k) || !sc)) as RunListItem['params'];
      return { id, scenario: m.scenario, model: designOf(m.params), seed: m.seed, params, status: m.status, created: m.created, events: m.events, endTimeNs: m.endTimeNs, metrics: m.metrics, bytes, digest: m.digest };
    });
  } catch (e) {
    const problem = e instanceof TraceFileError || e instanceof UserError ? e.message : String(e);
    return { id, scenario: '(unreadable)', model: 'quiet', seed: 0, params: {}, status: 'failed', created: '', events: 0, endTimeNs: 0, metrics: null, bytes, problem };
  }
}
