// Main-process side of the contract: one ipcMain handler per channel. Every call is checked for
// where it comes from (our own renderer only) and for its arguments before it reaches a service.
import { app, ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { ArgsOf, Channel, ResultOf } from '../../shared/api.ts';

interface Handler<C extends Channel> {
  /** Turns the raw IPC arguments into the contract's argument tuple, or throws. */
  parse(args: unknown[]): ArgsOf<C>;
  run(...args: ArgsOf<C>): ResultOf<C> | Promise<ResultOf<C>>;
}

/** Typed as a map over every channel, so a method added to the contract needs a handler here. */
type Handlers = { [C in Channel]: Handler<C> };

const noArgs = (args: unknown[]): [] => {
  if (args.length !== 0) throw new TypeError(`expected no arguments, got ${args.length}`);
  return [];
};

const handlers: Handlers = {
  'app:info': { parse: noArgs, run: () => ({ version: app.getVersion(), platform: process.platform }) },
};

export function registerIpc(isTrustedUrl: (url: string) => boolean): void {
  function register<C extends Channel>(channel: C, handler: Handler<C>): void {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...raw: unknown[]) => {
      const url = event.senderFrame?.url ?? '';
      if (!isTrustedUrl(url)) throw new Error(`${channel}: refused a call from ${url || 'an unknown frame'}`);
      return handler.run(...handler.parse(raw));
    });
  }
  for (const channel of Object.keys(handlers) as Channel[]) register(channel, handlers[channel]);
}
