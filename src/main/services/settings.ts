// Settings: defaults, stored per key in the catalog.
import type { Settings } from '../../shared/api.ts';
import type { Ctx } from './context.ts';

export const defaultSettings: Settings = {
  sampling: { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, maxTokens: 64, stop: [], seed: null },
  provider: 'auto',
  theme: 'system',
  blindMode: false,
};

export function readSettings(ctx: Pick<Ctx, 'catalog'>): Settings {
  const s = ctx.catalog.settings;
  return {
    sampling: { ...defaultSettings.sampling, ...(s.get<Settings['sampling']>('sampling') ?? {}) },
    provider: s.get<Settings['provider']>('provider') ?? defaultSettings.provider,
    theme: s.get<Settings['theme']>('theme') ?? defaultSettings.theme,
    blindMode: s.get<boolean>('blindMode') ?? defaultSettings.blindMode,
  };
}

export function writeSettings(ctx: Pick<Ctx, 'catalog'>, patch: Partial<Settings>): Settings {
  for (const [key, value] of Object.entries(patch)) ctx.catalog.settings.set(key, value);
  return readSettings(ctx);
}
