// A saved API key goes only to the endpoint it was saved for. Settings can change (a click, an
// import of someone's settings, a page that got past the server's checks); the key must not
// follow a changed URL to another server. A key is bound when it is saved next to a configured
// endpoint, or else on its first use; another endpoint later gets an error asking for the key
// to be saved again. Bindings of keys kept in the keychain live in the catalog (they are not
// secret); those of environment keys live as long as the process, like the key itself.
import type { Ctx } from '../context.ts';
import { UserError } from '../context.ts';
import { apiBase } from '../openai-http.ts';
import type { SecretName, SecretStore } from './secrets.ts';

const inMemory = new WeakMap<SecretStore, Map<SecretName, string>>();
const setting = (name: SecretName) => `keyEndpoint.${name}`;
const WHAT: Record<SecretName, string> = { judge: "the judge's API key", engine: "the remote engine's API key", agent: "the agent auditor's API key" };

function boundTo(ctx: Pick<Ctx, 'catalog'>, secrets: SecretStore, name: SecretName): string | null {
  if (secrets.storage === 'environment') return inMemory.get(secrets)?.get(name) ?? null;
  return ctx.catalog.settings.get<string>(setting(name)) ?? null;
}

/** Saves (or removes) a key, bound to `baseUrl` when one is known now. */
export function saveKey(ctx: Pick<Ctx, 'catalog'>, secrets: SecretStore, name: SecretName, key: string | null, baseUrl: string | null): void {
  secrets.set(name, key === '' ? null : key);
  inMemory.get(secrets)?.delete(name);
  ctx.catalog.settings.remove(setting(name));
  if (key && baseUrl) bind(ctx, secrets, name, apiBase(baseUrl));
}

function bind(ctx: Pick<Ctx, 'catalog'>, secrets: SecretStore, name: SecretName, base: string): void {
  if (secrets.storage === 'environment') {
    const map = inMemory.get(secrets) ?? inMemory.set(secrets, new Map()).get(secrets)!;
    map.set(name, base);
  } else ctx.catalog.settings.set(setting(name), base);
}

/** The key to send to `baseUrl`: null when none is saved; an error when it was saved for another endpoint. */
export function keyFor(ctx: Pick<Ctx, 'catalog'>, secrets: SecretStore, name: SecretName, baseUrl: string): string | null {
  const key = secrets.get(name);
  if (!key) return null;
  const base = apiBase(baseUrl);
  const bound = boundTo(ctx, secrets, name);
  if (bound === null) bind(ctx, secrets, name, base);
  else if (bound !== base) throw new UserError(`${WHAT[name]} was saved for ${bound}; it is not sent to ${base} (save the key again for this endpoint)`);
  return key;
}
