import type Database from 'better-sqlite3';
import type { TraceDb } from './db';
import { TraceFileError } from './errors';
import { corruptionError } from './open';

/** The answer to a user's SQL: column names and up to `limit` rows. */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

/**
 * Run one user SQL statement on a read-only trace connection. Anything but a read is refused
 * before it runs. Returns column names and up to `limit` rows.
 */
export function userQuery(db: TraceDb, sql: string, limit = 100_000): QueryResult {
  const file = db.file;
  let st: Database.Statement;
  try {
    st = db.prepareUser(sql);
  } catch (e) {
    const m = (e as Error).message;
    if (/more than one statement/i.test(m)) throw new TraceFileError(`The query on '${file}' must be a single statement.`);
    throw new TraceFileError(`The query on '${file}' is not valid SQL: ${m}.`);
  }
  if (!st.readonly || !st.reader) {
    throw new TraceFileError(`The query on '${file}' was refused: traces are opened read-only, so only statements that read (SELECT, WITH, read-only PRAGMA) may run.`);
  }
  const columns = st.columns().map((c) => c.name);
  const rows: unknown[][] = [];
  let truncated = false;
  try {
    for (const r of st.raw(true).iterate() as IterableIterator<unknown[]>) {
      if (rows.length >= limit) {
        truncated = true;
        break;
      }
      rows.push(r);
    }
  } catch (e) {
    const c = corruptionError(file, e);
    if (c instanceof TraceFileError) throw c;
    throw new TraceFileError(`The query on '${file}' failed: ${(e as Error).message}.`);
  }
  return { columns, rows, truncated };
}
