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
  const rows: unknown[][] = [];
  const q = queryEach(db, sql, limit, (r) => rows.push(r));
  return { columns: q.columns, rows, truncated: q.truncated };
}

const firstLine = (s: string) => s.split('\n')[0].replace(/\.$/, '');

/** query, handing each row to `onRow` as it is read (so an answer of millions of rows never sits in memory). */
export function queryEach(db: TraceDb, sql: string, limit: number, onRow: (row: unknown[]) => void, onColumns?: (columns: string[]) => void): { columns: string[]; truncated: boolean; count: number } {
  let st: Database.Statement;
  try {
    st = db.prepareUser(sql);
  } catch (e) {
    const m = firstLine((e as Error).message);
    if (/more than one statement/i.test(m)) throw new TraceFileError(`The query on '${db.file}' must be a single statement.`);
    throw new TraceFileError(`The query on '${db.file}' is not valid SQL: ${m}.`);
  }
  if (!st.readonly || !st.reader) {
    throw new TraceFileError(`The query on '${db.file}' was refused: traces are opened read-only, so only statements that read (SELECT, WITH, read-only PRAGMA) may run.`);
  }
  const columns = st.columns().map((c) => c.name);
  onColumns?.(columns);
  let count = 0;
  let truncated = false;
  try {
    for (const r of st.raw(true).iterate() as IterableIterator<unknown[]>) {
      if (count >= limit) {
        truncated = true;
        break;
      }
      count++;
      onRow(r.map((v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? `x'${Buffer.from(v).toString('hex')}'` : v)));
    }
  } catch (e) {
    const c = corruptionError(db.file, e);
    if (c instanceof TraceFileError) throw c;
    throw new TraceFileError(`The query on '${db.file}' failed: ${firstLine((e as Error).message)}.`);
  }
  return { columns, truncated, count };
}
