// Sizes `dev make-model` writes: tiny and 0.6b for every family; the others are one released
// model's exact shapes. Its own module so the CLI's option definitions load nothing heavy.
export const MAKE_MODEL_PRESETS = ['tiny', '0.6b', 'qwen3-1.7b', 'qwen3-4b', 'qwen3-8b', 'gemma3-1b', 'gemma3-4b'] as const;
export type MakeModelPreset = (typeof MAKE_MODEL_PRESETS)[number];
