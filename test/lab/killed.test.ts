import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../main/lab/lab';
import { TraceReader } from '../../main/trace/reader';
import { tempDir } from '../trace/helpers';

// A run whose process is SIGKILLed mid-way: its trace is left in WAL mode with the newest
// committed batches in the -wal only. Everything below reads it through SQLite.
const home = tempDir('sva-lab-killed-');
const file = path.join(home, 'killed.sqlite');
const lab = createLab(home);
let walBytes = 0;
let rowsInWal = 0;

function rows(f: string): number {
  const db = new Database(f, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** Events in the -wal and not in the main file (what a raw copy of the main file alone would lose). */
function walOnlyRows(): number {
  const mainOnly = path.join(tempDir(), 'main-only.sqlite');
  fs.copyFileSync(file, mainOnly);
  try {
    return rows(file) - rows(mainOnly);
  } catch {
    // the main file alone is not a database yet (or caught mid-checkpoint): everything is in the -wal
    return rows(file);
  }
}

beforeAll(async () => {
  const child = spawn(process.execPath, ['bin/sva-lab.mjs', 'run', 'stress', '--set', 'events=20000000', '--out', file], { stdio: 'ignore' });
  const t0 = Date.now();
  // Kill it once the -wal holds a few MiB of committed batches.
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const w = fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0;
    if (w > 2 * 1024 * 1024 || Date.now() - t0 > 40_000) break;
  }
  // The -wal is reused after each checkpoint, so its size says nothing of what it holds now: stop
  // the process, and kill it only at a moment when committed events sit in the -wal alone (right
  // after a checkpoint none do, until the next batch commits; otherwise let it run a little).
  for (let tries = 0; ; tries++) {
    child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 50));
    rowsInWal = walOnlyRows();
    if (rowsInWal > 0 || tries >= 40) break;
    child.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 30 + 20 * (tries % 5)));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  walBytes = fs.statSync(`${file}-wal`).size;
  rowsInWal = walOnlyRows();
}, 60_000);
afterAll(() => lab.close());

describe('a run killed with SIGKILL', () => {
  it('leaves its newest committed events in the -wal', () => {
    expect(walBytes).toBeGreaterThan(1024 * 1024);
    expect(rowsInWal).toBeGreaterThan(0);
  });

  it('opens as interrupted with every committed event, and reading it changes nothing', async () => {
    const before = fs.readFileSync(file);
    const committed = rows(file);
    const r = new TraceReader(file);
    expect(r.countRows()).toBe(committed);
    expect(r.meta().status).toBe('running');
    r.close();
    const id = lab.runOf(file);
    const info = await lab.openRun(id);
    expect(info.status).toBe('interrupted');
    expect(info.summary.status).toBe('interrupted');
    expect(info.summary.events).toBe(committed);
    expect(info.summary.error).toMatch(/killed/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('imports with the -wal content: what is stored is what was checked', async () => {
    const committed = rows(file);
    const other = createLab(tempDir('sva-lab-import-'));
    const item = await other.importTrace({ name: file, path: file });
    expect(item.events).toBe(committed);
    const stored = other.fileOf(item.id);
    expect(rows(stored)).toBe(committed);
    // The copy is in rollback-journal mode: reading it leaves no side files.
    expect(fs.existsSync(`${stored}-wal`)).toBe(false);
    expect(['running', 'interrupted']).toContain(item.status);
    await other.close();
  });

  it('is closed as interrupted by the archive at start, metrics computed in a worker', async () => {
    const committed = rows(file);
    const copyHome = tempDir('sva-lab-orphan-');
    // A copy with its -wal, as if this archive held the killed run.
    fs.copyFileSync(file, path.join(copyHome, 'orphan.sqlite'));
    fs.copyFileSync(`${file}-wal`, path.join(copyHome, 'orphan.sqlite-wal'));
    const l = createLab(copyHome);
    expect((await l.listRuns())[0].status).toBe('running'); // written just now: maybe someone records it
    expect(await l.recoverInterrupted(Date.now() + 60_000)).toBe(1);
    const list = await l.listRuns();
    expect(list[0]).toMatchObject({ status: 'interrupted', events: committed });
    expect(list[0].metrics).not.toBeNull();
    expect(fs.existsSync(path.join(copyHome, 'orphan.sqlite-wal'))).toBe(false);
    const info = await l.openRun(list[0].id);
    expect(info.status).toBe('interrupted');
    expect(info.summary.events).toBe(committed);
    await l.close();
  });
});
