// Issue 12, item 1: a stored API key is sent only to the endpoint it was saved for. Changing the
// judge's URL (or naming another endpoint in an evaluation) gets an error, never the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyFor, saveKey } from '../../src/main/services/grading/key-binding.ts';
import { envSecrets, type SecretName, type SecretStore } from '../../src/main/services/grading/secrets.ts';
import { judgeFor } from '../../src/main/services/grading/judge.ts';
import type { Ctx } from '../../src/main/services/context.ts';
import { freshCatalog } from '../helpers/catalog.ts';

function keychain(): SecretStore {
  const keys = new Map<SecretName, string | null>();
  return { storage: 'keychain', get: (n) => keys.get(n) ?? null, set: (n, v) => void keys.set(n, v) };
}

test('a key saved for one judge URL is not sent to another, and survives as its binding does', () => {
  const catalog = freshCatalog('keys');
  const ctx = { catalog } as unknown as Ctx;
  const secrets = keychain();
  saveKey(ctx, secrets, 'judge', 'sk-users', 'https://api.example.org/v1/');
  assert.equal(keyFor(ctx, secrets, 'judge', 'https://api.example.org/v1'), 'sk-users');
  assert.equal(keyFor(ctx, secrets, 'judge', 'https://api.example.org/v1/chat/completions'), 'sk-users', 'the same endpoint as typed differently');
  assert.throws(() => keyFor(ctx, secrets, 'judge', 'http://127.0.0.1:8666/v1'), {
    message: "the judge's API key was saved for https://api.example.org/v1; it is not sent to http://127.0.0.1:8666/v1 (save the key again for this endpoint)",
  });
  // the judge built for a changed URL refuses before any request is made
  assert.throws(() => judgeFor(ctx, { kind: 'openai', baseUrl: 'http://127.0.0.1:8666/v1', model: 'm' }, secrets), /not sent to http:\/\/127\.0\.0\.1:8666\/v1/);
  // saving again binds to the new endpoint; removing the key removes the binding
  saveKey(ctx, secrets, 'judge', 'sk-new', 'http://127.0.0.1:8666/v1');
  assert.equal(keyFor(ctx, secrets, 'judge', 'http://127.0.0.1:8666/v1'), 'sk-new');
  saveKey(ctx, secrets, 'judge', null, null);
  assert.equal(keyFor(ctx, secrets, 'judge', 'http://anything/v1'), null);
  catalog.close();
});

test('a key from the environment, or saved with no endpoint yet, is bound to the first endpoint it is used with', () => {
  const catalog = freshCatalog('keys-env');
  const ctx = { catalog } as unknown as Ctx;
  const env = envSecrets({ DIFFSCOPE_ENGINE_KEY: 'sk-env' });
  assert.equal(keyFor(ctx, env, 'engine', 'http://gpu-box:8000/v1'), 'sk-env');
  assert.throws(() => keyFor(ctx, env, 'engine', 'http://elsewhere:8000/v1'), /remote engine's API key was saved for http:\/\/gpu-box:8000\/v1/);
  const kc = keychain();
  saveKey(ctx, kc, 'engine', 'sk-saved', null);
  assert.equal(keyFor(ctx, kc, 'engine', 'http://gpu-box:8000/v1'), 'sk-saved');
  assert.throws(() => keyFor(ctx, kc, 'engine', 'http://elsewhere:8000/v1'), /not sent to http:\/\/elsewhere:8000\/v1/);
  catalog.close();
});
