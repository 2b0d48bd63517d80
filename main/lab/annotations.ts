import type { AnnotationDto, AnnotationKind, Ns, RunId } from '../contract';
import { addAnnotation as addRow, deleteAnnotation as deleteRow } from '../trace/annotations';
import { asUser, UserError } from './errors';
import type { Readers } from './readers';

/** Bookmarks and notes, saved inside the run's trace (the one change the lab makes to a recorded trace). */
export class Annotations {
  constructor(
    private readonly readers: Readers,
    private readonly fileOf: (id: RunId) => string,
    private readonly recording: (id: RunId) => boolean,
  ) {}

  list(id: RunId): AnnotationDto[] {
    return this.readers.with(id, (r) => r.annotations());
  }

  add(id: RunId, a: { tNs: Ns; seq: number | null; kind: AnnotationKind; text: string }): AnnotationDto {
    if (this.recording(id)) throw new UserError(`Run '${id}' is still recording; annotate it once it has finished.`);
    const f = this.fileOf(id);
    this.readers.drop(id);
    return asUser(() => addRow(f, { ...a, created: new Date().toISOString() }));
  }

  remove(id: RunId, annotation: number): void {
    const f = this.fileOf(id);
    this.readers.drop(id);
    if (!asUser(() => deleteRow(f, annotation))) throw new UserError(`Run '${id}' has no annotation ${annotation}.`);
  }
}
