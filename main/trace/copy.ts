import fs from 'node:fs';
import Database from 'better-sqlite3';
import { TraceFileError } from './errors';
import { fileErrorSentence, openTrace } from './open';
import { TraceReader } from './reader';

/** What an import found in the file it checked and copied. */
export interface CheckedCopy {
  events: number;
  status: string;
}

/**
 * Check a trace from elsewhere strictly (openTrace strict: no triggers or extra views; SQLite's
 * quick_check; meta's event count against the rows, unless the run was still recording) and copy
 * it to `dest` through SQLite's online backup, page by page from the connection that was checked:
 * what is stored is what was checked, the -wal's committed pages included (copying the main
 * file alone loses them). `dest` must not exist; it is left in rollback-journal mode.
 */
export async function checkAndCopy(src: string, dest: string): Promise<CheckedCopy> {
  const r = new TraceReader(src, { strict: true });
  let out: CheckedCopy;
  try {
    const ok = r.integrity();
    if (ok !== 'ok') {
      const lines = ok.split('\n');
      throw new TraceFileError(`'${src}' is corrupt: SQLite's integrity check reports ${lines.length === 1 ? `"${lines[0]}"` : `${lines.length} problems, the first "${lines[0]}"`}.`);
    }
    const m = r.meta();
    const rows = r.countRows();
    if (rows !== m.events && m.status !== 'running') throw new TraceFileError(`'${src}' is inconsistent: meta says ${m.events} events but it holds ${rows}.`);
    out = { events: rows, status: m.status };
    if (fs.existsSync(dest)) throw new TraceFileError(`Cannot import into '${dest}': the file exists.`);
    try {
      await r.backupTo(dest);
    } catch (e) {
      fs.rmSync(dest, { force: true });
      if (e instanceof TraceFileError) throw e;
      throw new TraceFileError(fileErrorSentence(dest, e, 'write') ?? `Cannot copy '${src}' into the archive: ${(e as Error).message}.`);
    }
  } finally {
    r.close();
  }
  // The copy carries the source's journal mode in its header: a copy of a trace left in WAL mode
  // goes back to rollback-journal mode, so that reading it never needs side files.
  try {
    const db = new Database(dest, { fileMustExist: true });
    try {
      db.pragma('trusted_schema = OFF');
      db.pragma('journal_mode = DELETE');
    } finally {
      db.close();
    }
    // One more look through the same checks the archive will read it with.
    openTrace(dest, { strict: true }).close();
  } catch (e) {
    fs.rmSync(dest, { force: true });
    for (const s of ['-wal', '-shm', '-journal']) fs.rmSync(dest + s, { force: true });
    if (e instanceof TraceFileError) throw e;
    throw new TraceFileError(fileErrorSentence(dest, e, 'write') ?? `Cannot finish the copy of '${src}': ${(e as Error).message}.`);
  }
  return out;
}
