import fs from 'node:fs';
import path from 'node:path';
import type { RunId } from '../contract';
import { DEFAULT_LIMITS, parseKernelLog } from '../trace/kernlog/parse';
import { KernLogError } from '../trace/kernlog/types';
import { writeObservedTrace } from '../trace/observed';
import { reserveIn } from './archive';
import { observedFileName } from './names';
import { UserError } from './errors';
import { APP_VERSION } from './version';

/** The 16 bytes every SQLite file starts with: such a file is imported as a trace, anything else as a kernel log. */
const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Is `file` to be imported as a trace (validated and copied) rather than read as a kernel log? A
 * file named `.sqlite`, anything that is not a regular file (a folder, a FIFO: the trace import
 * refuses those in a sentence, and reading a FIFO would hang), or a file that starts as SQLite does.
 */
export function looksLikeTrace(file: string, name: string): boolean {
  if (/\.sqlite$/i.test(name) || /\.sqlite$/i.test(file)) return true;
  const st = fs.statSync(file);
  if (!st.isFile()) return true;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    return fs.readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === SQLITE_MAGIC;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Import a kernel log as an observed run into the archive `home`: parse it (refusing, in one
 * sentence naming `name`, what is not a kernel log or is too big), write it through the trace writer
 * into a new file, and return its RunId. The source file is only read.
 */
export function importKernelLog(home: string, src: string, name: string, now = new Date()): RunId {
  const size = fs.statSync(src).size;
  if (size > DEFAULT_LIMITS.maxBytes) {
    throw new UserError(`'${name}' is too large to import as a kernel log (${Math.round(size / 1048576)} MiB; at most ${DEFAULT_LIMITS.maxBytes / 1048576} MiB): cut it to the part around the incident.`);
  }
  let log;
  try {
    log = parseKernelLog(path.basename(name), fs.readFileSync(src));
  } catch (e) {
    if (e instanceof KernLogError) throw new UserError(e.message.replace(`'${path.basename(name)}'`, `'${name}'`));
    throw e;
  }
  const file = reserveIn(home, observedFileName(path.basename(name), now));
  try {
    writeObservedTrace(file, log, { appVersion: APP_VERSION, created: now.toISOString() });
  } catch (e) {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    throw e;
  }
  return path.basename(file);
}
