// Main-process side of the contract: one ipcMain handler per channel. Every call is checked for
// where it comes from (our own renderer only) and for its arguments before it reaches a service.
import { app, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { API_CHANNELS, type ArgsOf, type Channel, type ResultOf } from '../../shared/api.ts';

/** Turns the raw IPC arguments into the contract's argument tuple, or throws. */
type Parse<C extends Channel> = (args: unknown[]) => ArgsOf<C>;

const noArgs = (args: unknown[]): [] => {
  if (args.length !== 0) throw new TypeError(`expected no arguments, got ${args.length}`);
  return [];
};

export function registerIpc(isTrustedUrl: (url: string) => boolean): void {
  function handle<C extends Channel>(
    channel: C,
    parse: Parse<C>,
    run: (...args: ArgsOf<C>) => ResultOf<C> | Promise<ResultOf<C>>,
  ): void {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...raw: unknown[]) => {
      const url = event.senderFrame?.url ?? '';
      if (!isTrustedUrl(url)) throw new Error(`${channel}: refused call from ${url || 'an unknown frame'}`);
      return run(...parse(raw));
    });
  }

  handle(API_CHANNELS.app.info, noArgs, () => ({ version: app.getVersion(), platform: process.platform }));
}
