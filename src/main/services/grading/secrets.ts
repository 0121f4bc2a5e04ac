// API keys (the judge's endpoint, a remote engine) never go into the catalog. Where they live
// depends on the shell:
//   CLI and `serve`: environment variables (DIFFSCOPE_JUDGE_KEY, DIFFSCOPE_ENGINE_KEY,
//                    DIFFSCOPE_AGENT_KEY), or a key
//                    set through the API for the life of the process;
//   Electron app:    the OS keychain through safeStorage (src/main/app/secrets.ts, passed as
//                    BackendOptions.secrets).

export type SecretName = 'judge' | 'engine' | 'agent';

export interface SecretStore {
  readonly storage: 'keychain' | 'environment' | 'memory';
  get(name: SecretName): string | null;
  set(name: SecretName, value: string | null): void;
}

export const SECRET_ENV: Record<SecretName, string> = {
  judge: 'DIFFSCOPE_JUDGE_KEY',
  engine: 'DIFFSCOPE_ENGINE_KEY',
  agent: 'DIFFSCOPE_AGENT_KEY',
};

/** Keys from the environment; a key set through the API overrides it until the process ends. */
export function envSecrets(env: NodeJS.ProcessEnv = process.env): SecretStore {
  const set = new Map<SecretName, string | null>();
  return {
    get storage() {
      return set.size > 0 ? ('memory' as const) : ('environment' as const);
    },
    get: (name) => (set.has(name) ? set.get(name)! : env[SECRET_ENV[name]] || null),
    set: (name, value) => void set.set(name, value),
  };
}
