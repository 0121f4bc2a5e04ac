// vLLM's runtime LoRA API, so that `diffscope serve` stands in for a vLLM server (evaluations with
// --engine openai:URL are tested against it):
//   POST /v1/load_lora_adapter    {lora_name, lora_path, base_model?}  a PEFT folder on this machine
//   POST /v1/unload_lora_adapter  {lora_name}
// Afterwards a chat completion with model = lora_name answers with base model + that adapter.
// Which base: `base_model` when the request names one (vLLM ignores the field), else the only
// model in the catalog. Names live as long as the server; replies are plain text as vLLM's are.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileStackEntry } from '../engine/engine.ts';
import type { Backend } from '../services/backend.ts';
import { checkAdapterFolder } from '../services/adapter-files.ts';
import { findModel } from '../services/lookup.ts';
import { HttpError, readJson } from './http-util.ts';

interface NamedLora {
  modelId: string;
  dir: string; // the model's library folder
  path: string; // the PEFT folder
}

const registries = new WeakMap<Backend, Map<string, NamedLora>>();
const registry = (backend: Backend) => registries.get(backend) ?? registries.set(backend, new Map()).get(backend)!;

/** A loaded adapter's name as a chat completion's model: its base and its one-adapter stack. */
export function namedLora(backend: Backend, name: string): { modelId: string; dir: string; refs: FileStackEntry[] } | undefined {
  const lora = registry(backend).get(name);
  return lora && { modelId: lora.modelId, dir: lora.dir, refs: [{ path: lora.path, scale: 1 }] };
}

/** /v1/models entries for the loaded adapters, as vLLM lists them (parent = the base). */
export function loraModelEntries(backend: Backend, created: number) {
  return [...registry(backend)].map(([id, l]) => ({ id, object: 'model', created, owned_by: 'diffscope', root: l.path, parent: l.modelId }));
}

const text = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
};

const field = (body: Record<string, unknown>, name: string, required: boolean): string | undefined => {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new HttpError(400, `${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '' || v.length > 4096) throw new HttpError(400, `${name} must be a non-empty string`);
  return v;
};

function baseModel(backend: Backend, requested: string | undefined) {
  const { catalog } = backend.ctx;
  if (requested) {
    const m = findModel(catalog, requested); // an id, or a name only one model has
    if (!m) throw new HttpError(404, `base_model "${requested}" is not in the catalog`);
    return m;
  }
  const all = catalog.models.list();
  if (all.length === 1) return all[0];
  throw new HttpError(400, all.length === 0 ? 'no base model in the catalog' : `the catalog holds ${all.length} base models: name one as base_model (${all.map((m) => m.id).join(', ')})`);
}

async function load(backend: Backend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  const name = field(body, 'lora_name', true)!;
  const path = field(body, 'lora_path', true)!;
  const loras = registry(backend);
  if (loras.has(name)) throw new HttpError(400, `The lora adapter '${name}' has already been loaded.`);
  if (!isAbsolute(path)) throw new HttpError(400, `lora_path must be an absolute path on the server (got "${path}")`);
  if (!existsSync(join(path, 'adapter_config.json')) || !statSync(path).isDirectory()) {
    throw new HttpError(400, `lora_path "${path}" is not a PEFT adapter folder (no adapter_config.json)`);
  }
  const model = baseModel(backend, field(body, 'base_model', false));
  try {
    await checkAdapterFolder(resolve(path), model.manifest); // a hostile folder stalls only this request
  } catch (err) {
    throw new HttpError(400, `${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  loras.set(name, { modelId: model.id, dir: model.libraryDir, path: resolve(path) });
  text(res, 200, `Success: LoRA adapter '${name}' added successfully.`);
}

async function unload(backend: Backend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  const name = field(body, 'lora_name', true)!;
  if (!registry(backend).delete(name)) throw new HttpError(404, `The lora adapter '${name}' cannot be found.`);
  text(res, 200, `Success: LoRA adapter '${name}' removed successfully.`);
}

/** Handles the two routes; false for any other request. */
export async function loraRoutes(backend: Backend, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  if (req.method !== 'POST') return false;
  if (url.pathname === '/v1/load_lora_adapter') await load(backend, req, res);
  else if (url.pathname === '/v1/unload_lora_adapter') await unload(backend, req, res);
  else return false;
  return true;
}
