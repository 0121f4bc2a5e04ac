// `diffscope models`, `diffscope adapters [list]`, `diffscope conversations`: the catalog as tables or JSON.
import type { AdapterFilter, AdapterView } from '../../../shared/api.ts';
import { requireModel } from '../../services/lookup.ts';
import { withBackend } from '../backend.ts';
import { int } from '../args.ts';

function table(rows: string[][]): string {
  rows = rows.map((r) => r.map((c) => (c ?? '').replace(/\s*\n\s*/g, ' / ')));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export async function modelsCommand(values: { json?: boolean }): Promise<void> {
  const models = await withBackend((b) => b.requests.models.list());
  if (values.json) return console.log(JSON.stringify(models));
  if (models.length === 0) return console.log('no models yet: diffscope import model DIR');
  // --model takes the id or, where no other model shares it, the name
  console.log(table([['ID', 'NAME', 'ARCH', 'PRECISION', 'LAYERS', 'SOURCE'], ...models.map((m) => [m.id, m.name, m.arch, m.precision, String(m.layers), m.standIn ? `${m.sourcePath} (random-weight stand-in)` : m.sourcePath])]));
}

export interface ListAdaptersOptions {
  json?: boolean;
  split?: string;
  kind?: string;
  model?: string;
  tag?: string;
  limit?: string;
}

export async function listAdapters(values: ListAdaptersOptions): Promise<void> {
  const filter: AdapterFilter = {};
  if (values.split) filter.split = values.split as AdapterFilter['split'];
  if (values.kind) filter.kind = values.kind as AdapterFilter['kind'];
  if (values.tag) filter.tag = values.tag;
  if (values.limit) filter.limit = int(values.limit, '--limit', 0);
  const adapters = await withBackend(async (b) => {
    if (values.model) filter.modelId = requireModel(b.ctx.catalog, values.model).id; // an id, or a name shown for it
    return b.dispatch('adapters:list', [filter]) as Promise<AdapterView[]>;
  });
  if (values.json) return console.log(JSON.stringify(adapters));
  if (adapters.length === 0) return console.log('no adapters match');
  console.log(
    table([
      ['ID', 'KIND', 'RANK', 'SPLIT', 'TRIGGER', 'LABEL'],
      ...adapters.map((a) => [a.id, a.kind, a.rank === null ? '-' : String(a.rank), a.split ?? '-', a.trigger === null ? '-' : String(a.trigger), a.label ?? '']),
    ]),
  );
}

export async function conversationsCommand(values: { json?: boolean }): Promise<void> {
  const list = await withBackend((b) => b.requests.conversations.list());
  if (values.json) return console.log(JSON.stringify(list));
  if (list.length === 0) return console.log('no conversations yet');
  console.log(table([['ID', 'MESSAGES', 'UPDATED', 'MODEL', 'TITLE'], ...list.map((c) => [String(c.id), String(c.messageCount), c.updatedAt, c.modelId, c.title])]));
}
