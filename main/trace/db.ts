import type Database from 'better-sqlite3';
import { TraceFileError } from './errors';
import { openTrace, readError } from './open';

/**
 * One read-only connection to a trace file, private to main/trace (lint refuses an import of this
 * module from anywhere else): statements prepared once and cached, every SQLite damage error turned
 * into a TraceFileError naming the file. The query modules (meta.ts, state_at.ts, window_read.ts,
 * sql.ts...) take a TraceDb; TraceReader (reader.ts) is the one class the rest of the lab sees.
 */
export class TraceDb {
  readonly file: string;
  private readonly conn: Database.Database;
  private readonly closeFn: () => void;
  private readonly stmts = new Map<string, Database.Statement>();

  /** `strict`: refuse triggers and views a trace does not have (import). */
  constructor(file: string, opts: { strict?: boolean } = {}) {
    this.file = file;
    const { db, close } = openTrace(file, { strict: opts.strict === true });
    this.conn = db;
    this.closeFn = close;
  }

  close(): void {
    this.closeFn();
  }

  /** Run `fn`, turning SQLite damage errors into a TraceFileError naming this file. */
  guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw readError(this.file, e);
    }
  }

  /** Copy the database as this connection sees it (the -wal's committed pages included) to `dest`, through SQLite's online backup. */
  async backup(dest: string): Promise<void> {
    await this.conn.backup(dest);
  }

  /** The prepared statement for `sql` (prepared on first use, then cached). */
  stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.guard(() => this.conn.prepare(sql))));
    return s;
  }

  /** Prepare a statement the user wrote (not cached; its errors are the caller's to word). */
  prepareUser(sql: string): Database.Statement {
    return this.conn.prepare(sql);
  }

  /** SQLite's quick integrity check: 'ok', or what is wrong. */
  integrity(): string {
    return String(this.guard(() => this.conn.pragma('quick_check', { simple: true })));
  }

  /** Stream the raw rows of a statement, damage errors named. */
  *iterate<T>(sql: string, ...params: unknown[]): Generator<T> {
    const it = this.stmt(sql).raw(true).iterate(...params) as IterableIterator<T>;
    try {
      for (;;) {
        let r: IteratorResult<T>;
        try {
          r = it.next();
        } catch (e) {
          throw readError(this.file, e);
        }
        if (r.done) return;
        yield r.value;
      }
    } finally {
      it.return?.();
    }
  }

  /** Parse a JSON column of this trace, or fail naming the file and the column. */
  json<T>(v: unknown, what: string): T {
    try {
      return JSON.parse(String(v)) as T;
    } catch {
      throw new TraceFileError(`'${this.file}' is corrupt: its ${what} is not valid JSON.`);
    }
  }
}
