import fs from 'node:fs';
import Database from 'better-sqlite3';
import { TraceFileError } from './errors';
import { EDGES_FORMAT_VERSION, READABLE_FORMAT_VERSIONS, REQUIRED_TABLES, REQUIRED_TABLES_V4, SCHEMA_SQL, TRACE_APPLICATION_ID } from './schema';

/**
 * Opening a trace file, which may come from anywhere: every question about the file goes
 * through SQLite (a raw header read is stale in WAL mode, where the -wal file holds the newest
 * pages: a run killed mid-way has its committed batches there), and nothing SQLite would run on
 * its own (views, triggers) is trusted.
 */

/** The side files SQLite keeps next to a database. */
export const SIDE_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

/** Format versions this build reads (schema.ts says which). */
export { READABLE_FORMAT_VERSIONS };

/** Pragmas of every connection to a trace: the schema of a file from elsewhere is not trusted (its views and triggers may call no function with side effects). */
export const CONNECTION_PRAGMAS = ['trusted_schema = OFF'];

/** What the file is, from stat: it must be a regular file (a FIFO or a device would block or never end). */
export function checkRegularFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new TraceFileError(`Trace file '${file}' does not exist.`);
    if (code === 'EACCES' || code === 'EPERM') throw new TraceFileError(`Trace file '${file}' cannot be read: permission denied.`);
    if (code === 'ELOOP') throw new TraceFileError(`Trace file '${file}' is a symbolic link loop, not a trace file.`);
    throw new TraceFileError(`Trace file '${file}' cannot be read: ${(e as Error).message}.`);
  }
  if (st.isDirectory()) throw new TraceFileError(`'${file}' is a folder, not a trace file.`);
  if (!st.isFile()) throw new TraceFileError(`'${file}' is ${kindOf(st)}, not a trace file; a trace is a regular .sqlite file.`);
  // Opening with O_NONBLOCK never blocks, even if the path was swapped for a FIFO since the stat;
  // the fstat of what was opened is the answer that counts.
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new TraceFileError(`Trace file '${file}' cannot be read: permission denied.`);
    throw new TraceFileError(`Trace file '${file}' cannot be read: ${(e as Error).message}.`);
  }
  try {
    const fst = fs.fstatSync(fd);
    if (!fst.isFile()) throw new TraceFileError(`'${file}' is ${kindOf(fst)}, not a trace file; a trace is a regular .sqlite file.`);
    if (fst.size === 0) throw new TraceFileError(`'${file}' is empty (0 bytes), so it is not an SQLite database: not an SVA Lab trace, or one whose run has not written anything yet.`);
    return fst;
  } finally {
    fs.closeSync(fd);
  }
}

/** Side files that exist must be regular files: SQLite would block on a FIFO named `<trace>-wal`. */
function checkSideFiles(file: string): void {
  for (const s of SIDE_SUFFIXES) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file + s);
    } catch {
      continue;
    }
    if (!st.isFile()) throw new TraceFileError(`'${file}${s}' is ${kindOf(st)}; SQLite's side file of the trace '${file}' must be a regular file (or absent).`);
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/** Is this a SQLite error that means the file is damaged (rather than a bad query)? */
export function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB|IOERR|CANTOPEN|FORMAT|FULL|READONLY|PERM|BUSY|LOCKED|AUTH|TOOBIG)/.test(code);
}

/** One sentence for an error of the file system or SQLite about `file` (disk full, read-only, permission, damage); null if it is none of these. */
export function fileErrorSentence(file: string, e: unknown, doing = 'read'): string | null {
  const code = String((e as { code?: unknown })?.code ?? '');
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'ENOSPC' || code.startsWith('SQLITE_FULL') || /database or disk is full/i.test(msg)) return `The disk holding '${file}' is full; free some space and try again.`;
  if (code === 'EROFS' || code === 'SQLITE_READONLY_DIRECTORY' || /read-only file system/i.test(msg)) return `'${file}' is on a read-only file system, so it cannot be ${doing === 'read' ? 'read' : 'written'} here; use a writable folder (set SVA_LAB_HOME for the archive).`;
  if (code === 'SQLITE_READONLY_ROLLBACK') return `'${file}-journal' holds an unfinished write of '${file}' that a read-only open cannot roll back; open the trace once with write access (or remove '${file}-journal' if it is not SQLite's).`;
  if (code.startsWith('SQLITE_READONLY')) return `'${file}' cannot be written: it or its folder is read-only (${msg}); make it writable or copy it elsewhere.`;
  if (code === 'EACCES' || code === 'EPERM' || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) return `'${file}' cannot be ${doing === 'read' ? 'read' : 'written'}: permission denied.`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return `'${file}' is locked by another program writing to it; try again when it is done.`;
  if (code === 'SQLITE_NOTADB') return `'${file}' is not an SVA Lab trace: it is not an SQLite database.`;
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_FORMAT')) return `'${file}' is corrupt or truncated (${firstLine(msg)}).`;
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return `'${file}' cannot be ${doing === 'read' ? 'read' : 'written'} (${firstLine(msg)}).`;
  if (code === 'SQLITE_TOOBIG') return `'${file}' holds a value too large to read (${firstLine(msg)}).`;
  return null;
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/\.$/, '');
}

/** Rewrap a damage or file-system error as one sentence naming the file; pass anything else through. */
export function corruptionError(file: string, e: unknown): unknown {
  if (e instanceof TraceFileError) return e;
  const s = isCorruption(e) || ['ENOSPC', 'EROFS', 'EACCES', 'EPERM'].includes(String((e as { code?: unknown })?.code)) ? fileErrorSentence(file, e) : null;
  return s ? new TraceFileError(s) : e;
}

/**
 * An error while reading `file` as one sentence: damage and file-system errors named, and a
 * TypeError, RangeError or SyntaxError (values of a shape no trace has, met while decoding them) too.
 */
export function readError(file: string, e: unknown): unknown {
  const c = corruptionError(file, e);
  if (c !== e) return c;
  if (e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError) return new TraceFileError(`'${file}' holds data of a shape no SVA Lab trace has (${firstLine(e.message)}).`);
  return e;
}

/** One table's expected columns: name and declared type, in order. */
type Columns = { name: string; type: string }[];
interface ExpectedSchema {
  tables: Map<string, Columns>;
  views: Map<string, string>;
}
let expected: ExpectedSchema | null = null;

/** The schema this build writes, read from SCHEMA_SQL through an in-memory database (so a new table or column is covered without a second list). */
export function expectedSchema(): ExpectedSchema {
  if (expected) return expected;
  const db = new Database(':memory:');
  try {
    db.exec(SCHEMA_SQL);
    const objs = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view')").all() as { type: string; name: string; sql: string }[];
    const tables = new Map<string, Columns>();
    const views = new Map<string, string>();
    for (const o of objs) {
      if (o.type === 'table') tables.set(o.name, columnsOf(db, o.name));
      else views.set(o.name, normSql(o.sql));
    }
    expected = { tables, views };
    return expected;
  } finally {
    db.close();
  }
}

function columnsOf(db: Database.Database, table: string): Columns {
  return (db.prepare('SELECT name, type FROM pragma_table_info(?) ORDER BY cid').all(table) as Columns).map((c) => ({ name: c.name, type: c.type.toUpperCase() }));
}

const normSql = (s: string) => s.replace(/\s+/g, ' ').replace(/\s*([(),=])\s*/g, '$1').trim();

/**
 * Check the schema of an open trace: every required object is what this build writes (a real
 * table with exactly its columns; event_log the view this build defines). `strict` (import, and
 * before writing an annotation) also refuses any trigger and any other view: a trigger would run
 * on the lab's own writes, and a view is code the file brings along.
 */
export function checkSchema(db: Database.Database, file: string, strict: boolean, formatVersion: number = EDGES_FORMAT_VERSION): void {
  const exp = expectedSchema();
  const objs = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master').all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  const byName = new Map(objs.map((o) => [o.name, o]));
  // A format 3 trace has no edges table (its explanations are scheduled-by only); from format 4 it is required.
  const required: readonly string[] = [...REQUIRED_TABLES, ...(formatVersion >= EDGES_FORMAT_VERSION ? REQUIRED_TABLES_V4 : [])];
  const missing = required.filter((t) => !byName.has(t));
  if (missing.length > 0) {
    throw new TraceFileError(`'${file}' is not a complete SVA Lab trace: it lacks the table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
  }
  for (const [name, cols] of exp.tables) {
    const o = byName.get(name);
    if (!o) continue;
    if (o.type !== 'table' || /^\s*CREATE\s+VIRTUAL/i.test(o.sql ?? '')) {
      throw new TraceFileError(`'${file}' is not a valid SVA Lab trace: '${name}' is a ${o.type === 'table' ? 'virtual table' : o.type} where a trace has a table.`);
    }
    const have = columnsOf(db, name);
    const same = have.length === cols.length && have.every((c, i) => c.name === cols[i].name && c.type === cols[i].type);
    if (!same) {
      const fmt = (cs: Columns) => cs.map((c) => c.name).join(', ');
      throw new TraceFileError(`'${file}' is not a valid SVA Lab trace: its table ${name} has the columns (${fmt(have)}); a trace's ${name} has (${fmt(cols)}).`);
    }
  }
  for (const [name, sql] of exp.views) {
    const o = byName.get(name);
    if (!o) throw new TraceFileError(`'${file}' is not a complete SVA Lab trace: it lacks the view ${name}.`);
    if (o.type !== 'view' || normSql(o.sql ?? '') !== sql) {
      throw new TraceFileError(`'${file}' is not a valid SVA Lab trace: its ${o.type} ${name} is not the ${name} view this build defines.`);
    }
  }
  if (!strict) return;
  const trigger = objs.find((o) => o.type === 'trigger');
  if (trigger) throw new TraceFileError(`'${file}' was refused: it holds a trigger (${trigger.name}) on ${trigger.tbl_name}; a trace has no triggers, and one from elsewhere could change the file when the lab writes to it.`);
  const view = objs.find((o) => o.type === 'view' && !exp.views.has(o.name));
  if (view) throw new TraceFileError(`'${file}' was refused: it holds a view (${view.name}) a trace does not have; the only view of a trace is ${[...exp.views.keys()].join(', ')}.`);
}

/** What SQLite says about an open trace's header. */
export interface TraceHeaderInfo {
  formatVersion: number;
  pageSize: number;
  pageCount: number;
  wal: boolean;
}

/**
 * Read the header fields through the connection (page 1 comes from the -wal file when it holds a
 * newer one) and check them: the application id of a trace, a format version this build reads,
 * no more pages than the file and its -wal can hold.
 */
export function checkHeaderVia(db: Database.Database, file: string, size: number): TraceHeaderInfo {
  const appId = Number(db.pragma('application_id', { simple: true }));
  if (appId !== TRACE_APPLICATION_ID) {
    throw new TraceFileError(`'${file}' is an SQLite database but not an SVA Lab trace (its application id is ${appId}, a trace has ${TRACE_APPLICATION_ID}).`);
  }
  const formatVersion = Number(db.pragma('user_version', { simple: true }));
  if (!READABLE_FORMAT_VERSIONS.includes(formatVersion)) {
    throw new TraceFileError(`'${file}' is a trace of format version ${formatVersion}; this build reads format version ${READABLE_FORMAT_VERSIONS.join(' or ')} only.`);
  }
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const pageCount = Number(db.pragma('page_count', { simple: true }));
  const wal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
  let walSize = 0;
  try {
    walSize = fs.statSync(`${file}-wal`).size;
  } catch {
    // no -wal
  }
  // With a -wal, the database may be larger than the main file (its newest pages are in the -wal).
  if (walSize === 0 && pageCount * pageSize > size) {
    throw new TraceFileError(`'${file}' is truncated: SQLite counts ${pageCount} pages of ${pageSize} bytes (${pageCount * pageSize} bytes) but the file has ${size}.`);
  }
  return { formatVersion, pageSize, pageCount, wal };
}

/** Options of openTrace. */
export interface OpenOptions {
  /** Open for writing (annotations, marking an interrupted run); default read-only. */
  write?: boolean;
  /** Refuse triggers and extra views too (import, writes). Default: on when writing. */
  strict?: boolean;
}

/**
 * Open a trace, checking it through SQLite: a regular file (side files too), the header
 * (application id, format version, page count), the schema (checkSchema), a meta table of one
 * row whose format version agrees. Read-only unless `write`. If the trace is in WAL mode (a run
 * in progress, killed, or a file from elsewhere) and SQLite has to create -wal/-shm files to read
 * it, the empty ones are removed again on close.
 */
export function openTrace(file: string, opts: OpenOptions = {}): { db: Database.Database; close: () => void; header: TraceHeaderInfo } {
  const st = checkRegularFile(file);
  checkSideFiles(file);
  const sideFiles = [`${file}-wal`, `${file}-shm`];
  const hadSide = sideFiles.map((f) => fs.existsSync(f));
  const write = opts.write === true;
  const strict = opts.strict ?? write;
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: !write, fileMustExist: true });
  } catch (e) {
    throw new TraceFileError(fileErrorSentence(file, e, write ? 'write' : 'read') ?? `Cannot open trace file '${file}': ${(e as Error).message}.`);
  }
  const close = () => {
    if (!db.open) return;
    db.close();
    sideFiles.forEach((f, i) => {
      try {
        if (!hadSide[i] && fs.existsSync(f) && (f.endsWith('-shm') || fs.statSync(f).size === 0)) fs.rmSync(f, { force: true });
      } catch {
        // a side file we cannot remove is SQLite's to manage
      }
    });
  };
  try {
    for (const p of CONNECTION_PRAGMAS) db.pragma(p);
    if (!write) db.pragma('query_only = ON');
    // Up to 32 MiB of page cache (grown as used): a view re-reads the same pages as it pans and zooms.
    db.pragma('cache_size = -32768');
    const header = checkHeaderVia(db, file, st.size);
    checkSchema(db, file, strict, header.formatVersion);
    const rows = db.prepare('SELECT format_version FROM meta LIMIT 2').pluck().all() as unknown[];
    if (rows.length === 0) throw new TraceFileError(`'${file}' is not a complete SVA Lab trace: its meta table is empty.`);
    if (rows.length > 1) throw new TraceFileError(`'${file}' is not a valid SVA Lab trace: its meta table has more than one row; a trace has one.`);
    const v = rows[0];
    if (v !== header.formatVersion) {
      throw new TraceFileError(`'${file}' is inconsistent: its header says format version ${header.formatVersion} but its meta table says ${String(v)}.`);
    }
    return { db, close, header };
  } catch (e) {
    close();
    if (e instanceof TraceFileError) throw e;
    throw new TraceFileError(fileErrorSentence(file, e) ?? `'${file}' is not a readable SVA Lab trace (${firstLine((e as Error).message)}).`);
  }
}

/** Open a trace read-only for analysis (openTrace). */
export function openReadOnly(file: string): { db: Database.Database; close: () => void } {
  const { db, close } = openTrace(file);
  return { db, close };
}
