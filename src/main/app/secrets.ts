// API keys in the desktop app: encrypted with the OS keychain (Electron safeStorage) and kept as
// opaque bytes in <userData>/secrets/<name>.bin; never in the catalog, never sent to the page.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeStorage } from 'electron';
import type { SecretName, SecretStore } from '../services/grading/secrets.ts';
import { envSecrets } from '../services/grading/secrets.ts';

export function keychainSecrets(userData: string): SecretStore {
  if (!safeStorage.isEncryptionAvailable()) return envSecrets(); // no keychain: the environment only
  const dir = join(userData, 'secrets');
  const file = (name: SecretName) => join(dir, `${name}.bin`);
  return {
    storage: 'keychain',
    get: (name) => (existsSync(file(name)) ? safeStorage.decryptString(readFileSync(file(name))) : null),
    set: (name, value) => {
      if (value === null || value === '') return rmSync(file(name), { force: true });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(file(name), safeStorage.encryptString(value), { mode: 0o600 });
    },
  };
}
