import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { LabApi, LabEvent } from './contract';
import { UserError } from './lab/errors';
import { ArgumentError, METHODS, validateArgs } from './web/validate';

/**
 * The IPC adapter: one handler per LabApi method, no logic of its own. Every call must come from
 * the lab's own window and page (sender checked) and its arguments pass the same schemas as HTTP.
 * User errors cross the bridge as plain Error messages (one sentence).
 */
export function registerIpc(api: LabApi, win: BrowserWindow, pageUrl: (u: string) => boolean): () => void {
  const check = (e: IpcMainInvokeEvent): void => {
    const frameUrl = e.senderFrame?.url ?? '';
    if (e.sender.id !== win.webContents.id || !pageUrl(frameUrl)) throw new Error('IPC from an unexpected sender is refused.');
  };
  for (const m of METHODS) {
    ipcMain.handle(`lab:${m}`, async (e, ...args: unknown[]) => {
      check(e);
      try {
        const valid = validateArgs(m, args);
        const fn = api[m] as (...a: unknown[]) => Promise<unknown>;
        return await fn.apply(api, valid);
      } catch (err) {
        if (err instanceof UserError || err instanceof ArgumentError) throw new Error(err.message, { cause: err });
        throw err;
      }
    });
  }
  const off = api.onEvent((ev: LabEvent) => {
    if (!win.isDestroyed()) win.webContents.send('lab:event', ev);
  });
  return () => {
    off();
    for (const m of METHODS) ipcMain.removeHandler(`lab:${m}`);
  };
}
