import type { RunId } from '../contract';
import { readError, TraceReader } from '../trace/reader';
import { asUser } from './errors';

/** Run `fn` on what was read from `file`: a value of a shape no trace has (met while decoding it) is said of the file, as a UserError. */
function reading<T>(file: string, fn: () => T): T {
  return asUser(() => {
    try {
      return fn();
    } catch (e) {
      throw readError(file, e);
    }
  });
}

/** Readers kept open (one per recently viewed run). */
const READER_CACHE = 4;

/** Open `file`, run `fn` on it and close it again; trace errors come back as UserError. */
export function withTrace<T>(file: string, fn: (r: TraceReader) => T): T {
  return reading(file, () => {
    const r = new TraceReader(file);
    try {
      return fn(r);
    } finally {
      r.close();
    }
  });
}

/**
 * Trace readers kept open per run, so a scrubbing user does not reopen the file on every frame:
 * the few most recently used, closed when evicted, dropped when their file changes (annotations,
 * delete). A run still recording is read fresh each time (its checkpoints and LOD grow).
 */
export class Readers {
  private readonly open = new Map<RunId, TraceReader>();

  constructor(
    private readonly fileOf: (id: RunId) => string,
    private readonly recording: (id: RunId) => boolean,
  ) {}

  /** Run `fn` on the run's reader; trace errors come back as UserError naming the file. */
  with<T>(id: RunId, fn: (r: TraceReader) => T): T {
    if (this.recording(id)) {
      this.drop(id);
      return withTrace(this.fileOf(id), fn);
    }
    let r = this.open.get(id);
    if (r) {
      // Most recently used last.
      this.open.delete(id);
      this.open.set(id, r);
    } else {
      const file = this.fileOf(id);
      r = asUser(() => new TraceReader(file));
      this.open.set(id, r);
      while (this.open.size > READER_CACHE) {
        const [k, old] = this.open.entries().next().value as [RunId, TraceReader];
        old.close();
        this.open.delete(k);
      }
    }
    const reader = r;
    return reading(reader.file, () => fn(reader));
  }

  /** Close the run's reader (its file changed or is going away). */
  drop(id: RunId): void {
    this.open.get(id)?.close();
    this.open.delete(id);
  }

  closeAll(): void {
    for (const r of this.open.values()) r.close();
    this.open.clear();
  }
}
