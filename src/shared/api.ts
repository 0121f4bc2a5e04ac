// The one API contract between the UI and the back end. The preload bridge (Electron), the HTTP
// bridge (browser mode) and the main-process handlers all implement or consume these types, so
// the renderer cannot tell which transport it has. Types only, plus the channel-name constant.

/** What the window shows about the running app. */
export interface AppInfo {
  version: string;
  platform: string;
  /** Execution provider of the loaded engine (cpu, cuda, dml, coreml, webgpu); absent until one runs. */
  engineProvider?: string;
}

/** The API object the renderer is given (`window.diffscope` in Electron). Grouped by domain. */
export interface DiffscopeApi {
  app: {
    info(): Promise<AppInfo>;
  };
}

export type Domain = keyof DiffscopeApi;
type MethodOf<D extends Domain> = keyof DiffscopeApi[D] & string;

/** Every request channel, named `<domain>:<method>` after the contract's method. */
export type Channel = { [D in Domain]: `${D}:${MethodOf<D>}` }[Domain];

type MethodAt<C extends Channel> = C extends `${infer D extends Domain}:${infer M}`
  ? M extends MethodOf<D>
    ? DiffscopeApi[D][M]
    : never
  : never;

/** Arguments and (unwrapped) result of the method behind a channel. */
export type ArgsOf<C extends Channel> = MethodAt<C> extends (...args: infer A) => unknown ? A : never;
export type ResultOf<C extends Channel> = MethodAt<C> extends (...args: never[]) => Promise<infer R> ? R : never;

/**
 * Channel names as data, one per method of the contract. `satisfies` makes this exhaustive both
 * ways: a method added to DiffscopeApi without a channel here, or a stray one, fails to compile.
 */
export const API_CHANNELS = {
  app: { info: 'app:info' },
} as const satisfies { [D in Domain]: { [M in MethodOf<D>]: `${D}:${M}` } };
