import fs from 'node:fs';
import Database from 'better-sqlite3';
import { TraceFileError } from './errors';
import { EDGES_FORMAT_VERSION, READABLE_FORMAT_VERSIONS, REQUIRED_TABLES, REQUIRED_TABLES_V4, TRACE_APPLICATION_ID } from './schema';

const READABLE = READABLE_FORMAT_VERSIONS.join(' or ');

const SQLITE_MAGIC = 'SQLite format 3\0';

/** What the 100-byte SQLite header says about a file, read without opening it as a database. */
export interface HeaderInfo {
  wal: boolean;
  formatVersion: number;
}

/**
 * Check a file's header bytes before SQLite sees it: it exists, is an SQLite database, is an SVA
 * Lab trace of this format version and is not shorter than the header says. Throws
 * TraceFileError with one sentence naming the file.
 */
export function checkHeader(file: string): HeaderInfo {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new TraceFileError(`Trace file '${file}' does not exist.`);
  }
  if (st.isDirectory()) throw new TraceFileError(`'${file}' is a folder, not a trace file.`);
  const h = Buffer.alloc(100);
  let got: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      got = fs.readSync(fd, h, 0, 100, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new TraceFileError(`Cannot read trace file '${file}': ${(e as Error).message}.`);
  }
  if (got < 100 || h.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw new TraceFileError(`'${file}' is not an SVA Lab trace: it is not an SQLite database.`);
  }
  const appId = h.readUInt32BE(68);
  if (appId !== TRACE_APPLICATION_ID) {
    throw new TraceFileError(`'${file}' is an SQLite database but not an SVA Lab trace (its application id is ${appId}, a trace has ${TRACE_APPLICATION_ID}).`);
  }
  const version = h.readUInt32BE(60);
  if (!READABLE_FORMAT_VERSIONS.includes(version)) {
    throw new TraceFileError(`'${file}' is a trace of format version ${version}; this build reads format version ${READABLE} only.`);
  }
  const pageSize = h.readUInt16BE(16) === 1 ? 65536 : h.readUInt16BE(16);
  const pages = h.readUInt32BE(28);
  // The page count in the header is valid when the two change counters agree (SQLite file format §1.3.7).
  if (h.readUInt32BE(24) === h.readUInt32BE(92) && pages > 0 && pages * pageSize > st.size) {
    throw new TraceFileError(`'${file}' is truncated: its header promises ${pages * pageSize} bytes but the file has ${st.size}.`);
  }
  return { wal: h[18] === 2 || h[19] === 2, formatVersion: version };
}

/** Is this a SQLite error that means the file is damaged (rather than a bad query)? */
export function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB|IOERR|CANTOPEN|FORMAT)/.test(code);
}

/** Rewrap a damage error as one sentence naming the file; pass anything else through. */
export function corruptionError(file: string, e: unknown): unknown {
  if (isCorruption(e)) return new TraceFileError(`'${file}' is corrupt or truncated (${(e as Error).message}).`);
  return e;
}

/**
 * Open a trace read-only for analysis, after checking its header and its tables. A trace is left
 * in rollback-journal mode when its run ends, so reading it creates no side files; if one is
 * still in WAL mode (a run in progress, or a file from elsewhere) and SQLite has to create the
 * -wal/-shm files to read it, they are removed again on close.
 */
export function openReadOnly(file: string): { db: Database.Database; close: () => void } {
  const hdr = checkHeader(file);
  const sideFiles = [`${file}-wal`, `${file}-shm`];
  const hadSide = sideFiles.map((f) => fs.existsSync(f));
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new TraceFileError(`Cannot open trace file '${file}': ${(e as Error).message}.`);
  }
  const close = () => {
    if (!db.open) return;
    db.close();
    if (hdr.wal) {
      sideFiles.forEach((f, i) => {
        if (!hadSide[i] && fs.existsSync(f) && (f.endsWith('-shm') || fs.statSync(f).size === 0)) fs.rmSync(f, { force: true });
      });
    }
  };
  try {
    db.pragma('query_only = ON');
    // Up to 32 MiB of page cache (grown as used): a view re-reads the same pages as it pans and zooms.
    db.pragma('cache_size = -32768');
    const have = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").pluck().all() as string[]));
    const missing = [...REQUIRED_TABLES, ...(hdr.formatVersion >= EDGES_FORMAT_VERSION ? REQUIRED_TABLES_V4 : [])].filter((t) => !have.has(t));
    if (missing.length > 0) {
      throw new TraceFileError(`'${file}' is not a complete SVA Lab trace: it lacks the table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
    }
    const v = db.prepare('SELECT format_version FROM meta').pluck().get() as number | undefined;
    if (v === undefined) throw new TraceFileError(`'${file}' is not a complete SVA Lab trace: its meta table is empty.`);
    if (v !== hdr.formatVersion) {
      throw new TraceFileError(`'${file}' is damaged: its meta says format version ${v} but its header says ${hdr.formatVersion}.`);
    }
  } catch (e) {
    close();
    throw e instanceof TraceFileError ? e : (corruptionError(file, e) instanceof TraceFileError ? corruptionError(file, e) : new TraceFileError(`'${file}' is not a readable SVA Lab trace (${(e as Error).message}).`));
  }
  return { db, close };
}
