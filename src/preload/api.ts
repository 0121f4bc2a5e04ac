// Builds the contract's object on top of a typed invoke. No `electron` import here, so tests can
// build it with a fake transport and check what the renderer will see.
import { API_CHANNELS, type ArgsOf, type Channel, type DiffscopeApi, type ResultOf } from '../shared/api.ts';

export type Invoke = <C extends Channel>(channel: C, ...args: ArgsOf<C>) => Promise<ResultOf<C>>;

export function createApi(invoke: Invoke): DiffscopeApi {
  return {
    app: {
      info: () => invoke(API_CHANNELS.app.info),
    },
  };
}
