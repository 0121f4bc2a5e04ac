// Main-process side of the contract: one ipcMain handler per channel of API_CHANNELS, answered
// only for our own page, passed to the back end's dispatch, which checks every argument before a
// service sees it. Events go to every window on EVENT_CHANNEL. The shell's own channel (file
// dialogs) is checked here.
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { API_CHANNELS, EVENT_CHANNEL } from '../../shared/api.ts';
import { IMPORT_KINDS, SHELL_CHANNELS, type ImportKind } from '../../shared/shell.ts';
import type { Backend } from './backend.ts';
import { pickPath } from './dialogs.ts';
import { printConversationPdf } from './pdf.ts';

export const API_CHANNEL_NAMES: string[] = Object.values(API_CHANNELS).flatMap((methods) => Object.values(methods));

export function registerIpc(backend: Backend, isTrustedUrl: (url: string) => boolean): () => void {
  const check = (channel: string, event: IpcMainInvokeEvent) => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrustedUrl(url)) throw new Error(`${channel}: refused a call from ${url || 'an unknown frame'}`);
  };

  for (const channel of API_CHANNEL_NAMES) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      check(channel, event);
      return backend.dispatch(channel, args);
    });
  }

  ipcMain.handle(SHELL_CHANNELS.pickPath, (event, ...args: unknown[]) => {
    check(SHELL_CHANNELS.pickPath, event);
    const [kind] = args;
    if (args.length !== 1 || !IMPORT_KINDS.includes(kind as ImportKind)) throw new Error(`${SHELL_CHANNELS.pickPath}: expected one of ${IMPORT_KINDS.join(', ')}`);
    return pickPath(BrowserWindow.fromWebContents(event.sender), kind as ImportKind);
  });

  ipcMain.handle(SHELL_CHANNELS.printPdf, (event, ...args: unknown[]) => {
    check(SHELL_CHANNELS.printPdf, event);
    const [id] = args;
    if (args.length !== 1 || !Number.isSafeInteger(id)) throw new Error(`${SHELL_CHANNELS.printPdf}: expected a conversation id`);
    return printConversationPdf(backend, BrowserWindow.fromWebContents(event.sender), id as number);
  });

  const unsubscribe = backend.onEvent((e) => {
    for (const win of BrowserWindow.getAllWindows()) if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e);
  });

  return () => {
    unsubscribe();
    for (const channel of [...API_CHANNEL_NAMES, SHELL_CHANNELS.pickPath, SHELL_CHANNELS.printPdf]) ipcMain.removeHandler(channel);
  };
}
