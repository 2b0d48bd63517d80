import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExportFormat as DownloadFormat } from '../contract';
import { EXPORT_FORMATS, exportChromeJson, exportCsv, type ExportFormat } from '../trace/export';
import { UserError } from './errors';
import { withTrace } from './readers';

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

/** Write the trace `file` as Chrome Trace Event JSON (Perfetto) or as CSV of event_log, to `out`. */
export function exportTo(file: string, format: string, out: string): ExportResult {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UserError(`Export format '${format}' is not known; valid formats: ${EXPORT_FORMATS.join(', ')}.`);
  if (path.resolve(out) === path.resolve(file)) throw new UserError(`The export would overwrite the trace '${file}'; choose another --out.`);
  return withTrace(file, (r) => {
    const bytes = format === 'csv' ? exportCsv(r, out) : exportChromeJson(r, out);
    return { trace: file, format: format as ExportFormat, out, bytes };
  });
}

/** The run as a download: its SQLite file as it is, or an export through a temporary file. */
export function download(file: string, name: string, format: DownloadFormat): Download {
  if (format === 'sqlite') return { name, mime: 'application/vnd.sqlite3', bytesBase64: fs.readFileSync(file).toString('base64') };
  const stem = name.replace(/\.sqlite$/, '');
  const ext = format === 'csv' ? 'csv' : 'json';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-lab-export-'));
  try {
    const out = path.join(tmp, `${stem}.${ext}`);
    exportTo(file, format, out);
    return { name: `${stem}.${ext}`, mime: format === 'csv' ? 'text/csv' : 'application/json', bytesBase64: fs.readFileSync(out).toString('base64') };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
