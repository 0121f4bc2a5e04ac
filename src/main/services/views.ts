// Catalog rows -> the API's views.
import type { Adapter, Conversation, Grade, Message } from '../catalog/index.ts';
import type { LibraryModel } from './context.ts';
import type { AdapterView, ConversationView, GradeView, MessageView, ModelView } from '../../shared/api.ts';

export const modelView = (m: LibraryModel): ModelView => ({
  id: m.id,
  name: m.name,
  arch: m.manifest.arch,
  precision: m.manifest.precision,
  precisionReason: m.manifest.precisionReason ?? `${m.precision}: chosen at import`,
  weightBytes: m.manifest.weightBytes,
  layers: m.manifest.shapes.layers,
  hidden: m.manifest.shapes.hidden,
  vocab: m.manifest.shapes.vocab,
  contextTokens: m.manifest.maxPositions,
  sourcePath: m.sourcePath,
  demo: m.demo,
  standIn: m.standIn,
  createdAt: m.createdAt,
});

export const adapterView = (a: Adapter): AdapterView => ({
  id: a.id,
  kind: a.kind,
  modelId: a.modelId,
  format: a.format,
  rank: a.rank,
  label: a.label,
  description: a.description,
  trigger: a.trigger,
  split: a.split,
  experiment: a.experiment,
  tags: a.tags,
  sourcePath: a.source.path,
  sourceIndex: a.source.index,
  createdAt: a.createdAt,
});

export const gradeView = (g: Grade): GradeView => ({
  id: g.id,
  messageId: g.messageId,
  method: g.method,
  score: g.score,
  note: g.note,
  reference: g.reference,
  judgeModel: g.judgeModel,
  rawAnswer: g.rawAnswer,
  createdAt: g.createdAt,
});

export const conversationView = (c: Conversation): ConversationView => ({
  id: c.id,
  title: c.title,
  modelId: c.modelId,
  stack: c.stack.map(({ adapterId, scale, role, layers, modules }) => ({ adapterId, scale, role, ...(layers?.length ? { layers } : {}), ...(modules?.length ? { modules } : {}) })),
  messageCount: c.messageCount,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
});

export const messageView = (m: Message, grades: Grade[] = []): MessageView => ({
  id: m.id,
  conversationId: m.conversationId,
  parentId: m.parentId,
  role: m.role,
  text: m.text,
  status: m.status,
  error: m.error,
  modelId: m.modelId,
  stack: m.stack,
  sampling: m.sampling,
  seed: m.seed,
  provider: m.provider,
  finishReason: m.finishReason,
  stats: m.stats,
  grades: grades.map(gradeView),
  createdAt: m.createdAt,
});
