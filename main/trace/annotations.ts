import type Database from 'better-sqlite3';
import type { AnnotationDto } from '../contract';
import { TraceFileError } from './errors';
import { fileErrorSentence, openTrace } from './open';

/** The columns of an annotation, in the order of ANNOTATION_COLS. */
export interface AnnotationRow {
  id: number;
  t_ns: number;
  seq: number | null;
  kind: string;
  text: string;
  created: string;
}

/** The `annotations` columns, as every query of them selects them. */
export const ANNOTATION_COLS = 'SELECT id, t_ns, seq, kind, text, created FROM annotations';

/** An annotations row as the contract's AnnotationDto (the one place it is shaped). */
export function annotationDto(x: AnnotationRow): AnnotationDto {
  return { id: x.id, tNs: x.t_ns, seq: x.seq, kind: x.kind === 'note' ? 'note' : 'bookmark', text: x.text, created: x.created };
}

/**
 * Bookmarks and notes live in the trace's `annotations` table, so they travel with the file.
 * Writing them is the one change the lab makes to a recorded trace, on a short-lived read-write
 * connection (rollback journal, so no -wal file is left behind); everything else reads only.
 */
export function addAnnotation(file: string, a: { tNs: number; seq: number | null; kind: string; text: string; created: string }): AnnotationDto {
  return withWriter(file, (db) => {
    const info = db.prepare('INSERT INTO annotations (t_ns, seq, kind, text, created) VALUES (?, ?, ?, ?, ?)').run(a.tNs, a.seq, a.kind, a.text, a.created);
    return annotationDto(db.prepare(`${ANNOTATION_COLS} WHERE id = ?`).get(info.lastInsertRowid) as AnnotationRow);
  });
}

export function deleteAnnotation(file: string, id: number): boolean {
  return withWriter(file, (db) => db.prepare('DELETE FROM annotations WHERE id = ?').run(id).changes > 0);
}

/** A short write connection, after the strict checks (no trigger can ride on the lab's write). */
function withWriter<T>(file: string, fn: (db: Database.Database) => T): T {
  const { db, close } = openTrace(file, { write: true, strict: true });
  try {
    return db.transaction(() => fn(db))();
  } catch (e) {
    if (e instanceof TraceFileError) throw e;
    const s = fileErrorSentence(file, e, 'write');
    throw s ? new TraceFileError(s) : e;
  } finally {
    close();
  }
}
