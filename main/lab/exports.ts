import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExportFormat as DownloadFormat } from '../contract';
import { EXPORT_FORMATS, type ExportFormat } from '../trace/export';
import { SIDE_SUFFIXES } from '../trace/open';
import { archiveWriteError } from './archive';
import { UserError } from './errors';
import { readerJob } from './workers/read';

/** An export written to a file. */
export interface ExportResult {
  trace: string;
  format: ExportFormat;
  out: string;
  bytes: number;
}

/** A file handed to the user as a download (base64, so it crosses IPC and HTTP as JSON). */
export interface Download {
  name: string;
  mime: string;
  bytesBase64: string;
}

/** An export may run this long in its reader worker (ms): a trace of a GB exports in minutes. */
const EXPORT_DEADLINE_MS = 30 * 60_000;
/** A download crosses IPC and HTTP as base64 in one JSON string: larger files go through `sva-lab export`. */
export const DOWNLOAD_MAX_BYTES = 256 * 1024 * 1024;

/** The real path of `p` if it exists, else its folder's real path joined with its name (null if the folder does not exist). */
function realOrParent(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
    } catch {
      return null;
    }
  }
}

/**
 * Refuse an output path that is the trace or one of its side files, however it is reached: the
 * same path, a symbolic link to it, a hard link to it (same device and inode), or the trace's
 * -wal, -shm or -journal name (a file there is taken by SQLite as part of the trace: an export
 * named `<trace>-journal` would be read as a hot journal and break every later read).
 */
export function checkOutPath(trace: string, out: string): string {
  const outReal = realOrParent(path.resolve(out));
  if (outReal === null) throw new UserError(`The folder of the output file '${out}' does not exist.`);
  const traceReal = fs.realpathSync(trace);
  const names = [path.resolve(trace), traceReal];
  if (names.includes(outReal) || names.includes(path.resolve(out))) throw new UserError(`The export would overwrite the trace '${trace}'; choose another --out.`);
  for (const n of names) {
    for (const s of SIDE_SUFFIXES) {
      if (outReal === n + s || path.resolve(out) === n + s) throw new UserError(`The output file '${out}' is the name of the trace's SQLite side file (${s}): SQLite would take it as part of '${trace}'; choose another --out.`);
    }
  }
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(out);
  } catch {
    // a new file
  }
  if (st) {
    const t = fs.statSync(trace);
    if (st.dev === t.dev && st.ino === t.ino) throw new UserError(`The output file '${out}' is a link to the trace '${trace}' (the same file); choose another --out.`);
    if (st.isDirectory()) throw new UserError(`The output file '${out}' is a folder; give a file name.`);
  }
  return outReal;
}

/**
 * Write the trace `file` as Chrome Trace Event JSON (Perfetto) or as CSV of event_log, to `out`:
 * in a reader worker (the coordinating thread stays free however long it takes), into a
 * temporary file next to `out`, renamed over `out` only when complete (a failed export leaves
 * `out` as it was; a symbolic link at `out` is replaced, never written through).
 */
export async function exportTo(file: string, format: string, out: string): Promise<ExportResult> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UserError(`Export format '${format}' is not known; valid formats: ${EXPORT_FORMATS.join(', ')}.`);
  const target = checkOutPath(file, out);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  try {
    fs.closeSync(fs.openSync(tmp, 'wx'));
  } catch (e) {
    throw outError(out, e);
  }
  try {
    const bytes = await readerJob<number>({ op: 'export', file, format: format as ExportFormat, out: tmp }, { deadlineMs: EXPORT_DEADLINE_MS }).catch((e: unknown) => {
      // The worker wrote to the temporary name: a file-system error is said of `out`.
      throw ['ENOSPC', 'EROFS', 'EACCES', 'EPERM', 'EDQUOT', 'EFBIG'].includes(String((e as NodeJS.ErrnoException).code)) ? outError(out, e) : e;
    });
    try {
      fs.renameSync(tmp, target);
    } catch (e) {
      throw outError(out, e);
    }
    return { trace: file, format: format as ExportFormat, out, bytes };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function outError(out: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EDQUOT' || code === 'EFBIG') return new UserError(`The export to '${out}' could not be written: ${code === 'EDQUOT' ? 'the disk quota is used up' : 'the file would exceed the largest file size allowed'}.`);
  if (code === 'ENOSPC') return new UserError(`The disk is full: the export to '${out}' could not be written; free some space and try again.`);
  if (code === 'EROFS') return new UserError(`The export to '${out}' cannot be written: it is on a read-only file system.`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`The export to '${out}' cannot be written: permission denied.`);
  if (code === 'EISDIR') return new UserError(`The output file '${out}' is a folder; give a file name.`);
  if (e instanceof UserError) return e;
  return archiveWriteError(path.dirname(out), e);
}

/**
 * The run as a download: its SQLite file as it is, or an export through a temporary file that is
 * removed whatever happens. Over `maxBytes` (DOWNLOAD_MAX_BYTES; a parameter so that tests need no
 * 256 MiB trace) the file is not read at all and the sentence points at `sva-lab export`.
 */
export async function download(file: string, name: string, format: DownloadFormat, maxBytes = DOWNLOAD_MAX_BYTES): Promise<Download> {
  const mibs = (n: number) => Math.max(1, Math.round(n / 2 ** 20));
  const tooBig = (n: number) =>
    new UserError(`'${name}' is too large to download here (${mibs(n)} MiB as ${format}; at most ${mibs(maxBytes)} MiB cross the window): export it with \`sva-lab export ${file} --format ${format === 'sqlite' ? 'csv' : format} --out FILE\` or copy the trace file.`);
  if (format === 'sqlite') {
    const size = fs.statSync(file).size;
    if (size > maxBytes) throw tooBig(size);
    return { name, mime: 'application/vnd.sqlite3', bytesBase64: fs.readFileSync(file).toString('base64') };
  }
  const stem = name.replace(/\.sqlite$/, '');
  const ext = format === 'csv' ? 'csv' : 'json';
  let tmp: string;
  try {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-lab-export-'));
  } catch (e) {
    throw outError(os.tmpdir(), e);
  }
  try {
    const out = path.join(tmp, `${stem}.${ext}`);
    const r = await exportTo(file, format, out);
    if (r.bytes > maxBytes) throw tooBig(r.bytes);
    return { name: `${stem}.${ext}`, mime: format === 'csv' ? 'text/csv' : 'application/json', bytesBase64: fs.readFileSync(out).toString('base64') };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
