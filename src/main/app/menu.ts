// The application menu. Items that act on the page (new chat, export, views, theme) send a
// MenuCommand to it; imports first show the native dialog here, then hand the path to the page,
// which asks for the base model and starts the job.
import { app, BrowserWindow, Menu, type MenuItemConstructorOptions } from 'electron';
import { SHELL_CHANNELS, type ImportKind, type MenuCommand } from '../../shared/shell.ts';
import { pickPath } from './dialogs.ts';

function send(command: MenuCommand): void {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  win?.webContents.send(SHELL_CHANNELS.menu, command);
}

async function importItem(kind: ImportKind): Promise<void> {
  const path = await pickPath(BrowserWindow.getFocusedWindow(), kind);
  if (path) send({ type: 'import', kind, path });
}

export function buildMenu(): Menu {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Chat', accelerator: 'CmdOrCtrl+N', click: () => send({ type: 'new-chat' }) },
        { type: 'separator' },
        { label: 'Import Base Model…', click: () => void importItem('model') },
        { label: 'Import Diff or DIT Adapter…', click: () => void importItem('adapter') },
        { label: 'Import Released Experiment…', click: () => void importItem('experiment') },
        { type: 'separator' },
        { label: 'Export Conversation as Markdown…', accelerator: 'CmdOrCtrl+E', click: () => send({ type: 'export', format: 'md' }) },
        { label: 'Export Conversation as JSON…', accelerator: 'CmdOrCtrl+Shift+E', click: () => send({ type: 'export', format: 'json' }) },
        { label: 'Export Conversation as HTML…', click: () => send({ type: 'export', format: 'html' }) },
        { label: 'Export Conversation as PDF…', accelerator: 'CmdOrCtrl+P', click: () => send({ type: 'export', format: 'pdf' }) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Chat', accelerator: 'CmdOrCtrl+1', click: () => send({ type: 'show', view: 'chat' }) },
        { label: 'Compare', accelerator: 'CmdOrCtrl+2', click: () => send({ type: 'show', view: 'compare' }) },
        { label: 'Evaluate', accelerator: 'CmdOrCtrl+5', click: () => send({ type: 'show', view: 'evaluate' }) },
        { label: 'Import', accelerator: 'CmdOrCtrl+3', click: () => send({ type: 'show', view: 'import' }) },
        { label: 'Settings', accelerator: 'CmdOrCtrl+,', click: () => send({ type: 'show', view: 'settings' }) },
        { type: 'separator' },
        {
          label: 'Theme',
          submenu: [
            { label: 'Like the System', click: () => send({ type: 'theme', theme: 'system' }) },
            { label: 'Light', click: () => send({ type: 'theme', theme: 'light' }) },
            { label: 'Dark', click: () => send({ type: 'theme', theme: 'dark' }) },
          ],
        },
        { label: 'Toggle Blind Mode', accelerator: 'CmdOrCtrl+Shift+B', click: () => send({ type: 'toggle-blind-mode' }) },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
      ],
    },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
