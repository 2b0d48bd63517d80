/**
 * The lab host worker: the whole lab (createLab) in a worker thread, so that the process that
 * hosts it (Electron's main process) never runs a LabApi call itself: it posts the call and awaits
 * the answer (remote.ts), and no call — a long window, a compare, an import check — can hold its
 * event loop for more than the time of a message. The lab's own workers (sim, writer, reader) are
 * started from here as usual.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LabMethod } from '../../contract';
import { BusyError, UserError } from '../errors';
import { createLab } from '../lab';
import type { HostMessage, HostRequest } from './protocol';

const { home, recoverInterrupted } = workerData as { home: string; recoverInterrupted: boolean };
const lab = createLab(home, { recoverInterrupted });
const post = (m: HostMessage) => parentPort?.postMessage(m);
lab.onEvent((event) => post({ type: 'event', event }));

parentPort?.on('message', (m: HostRequest) => {
  if (m.type === 'close') {
    void lab.close().then(() => post({ type: 'closed' }));
    return;
  }
  const fn = lab[m.method as LabMethod] as (...a: unknown[]) => Promise<unknown>;
  Promise.resolve()
    .then(() => fn.apply(lab, m.args))
    .then(
      (value) => post({ type: 'result', id: m.id, ok: true, value }),
      (e: unknown) => post({ type: 'result', id: m.id, ok: false, message: e instanceof Error ? e.message : String(e), user: e instanceof UserError, busy: e instanceof BusyError }),
    );
});
