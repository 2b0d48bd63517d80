import { Worker } from 'node:worker_threads';
import { LAB_METHODS, type LabApi, type LabEvent, type LabMethod } from '../contract';
import { BusyError, UserError } from './errors';
import type { LabOptions } from './lab';
import { workerUrl } from './workers/pool';
import type { HostMessage, HostRequest } from './workers/protocol';

/** A LabApi whose lab runs in a worker thread, and a way to end it. */
export type RemoteLab = LabApi & { close(): Promise<void> };

/**
 * The lab in a worker thread (workers/lab_host.ts), seen from the thread that starts it as a
 * LabApi: each call is a message, each answer a message back (user errors come back as
 * UserError, bounds as BusyError), LabEvents are forwarded. Electron's main process uses this,
 * so that no LabApi call runs on it: its event loop only passes messages.
 */
export function remoteLab(home: string, opts: LabOptions = {}): RemoteLab {
  const worker = new Worker(workerUrl('lab_host'), { workerData: { entry: 'lab_host', home, recoverInterrupted: opts.recoverInterrupted === true } });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: LabEvent) => void>();
  let next = 1;
  let dead: Error | null = null;
  let closed: (() => void) | null = null;
  worker.on('message', (m: HostMessage) => {
    if (m.type === 'event') for (const l of [...listeners]) l(m.event);
    else if (m.type === 'closed') closed?.();
    else {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.value);
      else p.reject(m.busy ? new BusyError(m.message) : m.user ? new UserError(m.message) : new Error(m.message));
    }
  });
  const fail = (e: Error) => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('error', (e) => fail(new Error(`the lab's worker crashed: ${e.message}`)));
  worker.on('exit', (code) => fail(new Error(`the lab's worker exited (code ${code})`)));

  const call = (method: LabMethod, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (dead) {
        reject(dead);
        return;
      }
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'call', id, method, args } satisfies HostRequest);
    });
  const methods = Object.fromEntries(LAB_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as Omit<LabApi, 'onEvent'>;
  return {
    ...methods,
    onEvent(cb) {
      listeners.add(cb);
      return () => {
        listeners.delete(cb);
      };
    },
    async close() {
      if (dead) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        worker.postMessage({ type: 'close' } satisfies HostRequest);
        setTimeout(resolve, 5000).unref();
      });
      await worker.terminate();
    },
  };
}
