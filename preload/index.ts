import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { LAB_METHODS, type LabApi, type LabEvent } from '../main/contract';

/**
 * Exposes exactly the LabApi on `window.lab`: one invoke per method on a `lab:<method>` channel,
 * and `onEvent`, whose return value unsubscribes. No raw ipcRenderer reaches the page. The methods
 * are the contract's LAB_METHODS, so a new LabApi method crosses the bridge with no change here.
 */
const api: Record<string, unknown> = {};
for (const m of LAB_METHODS) api[m] = (...args: unknown[]) => ipcRenderer.invoke(`lab:${m}`, ...args);
api.onEvent = (cb: (e: LabEvent) => void) => {
  const listener = (_e: IpcRendererEvent, ev: LabEvent) => cb(ev);
  ipcRenderer.on('lab:event', listener);
  return () => {
    ipcRenderer.removeListener('lab:event', listener);
  };
};

contextBridge.exposeInMainWorld('lab', api as unknown as LabApi);
