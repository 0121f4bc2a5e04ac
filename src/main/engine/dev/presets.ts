// Sizes `dev make-model` writes: tiny and 0.6b for every family; the others are one released
// model's exact shapes, named by its family file (engine/families).
import { RELEASED_MODELS } from '../families/index.ts';

export const MAKE_MODEL_PRESETS: readonly string[] = ['tiny', '0.6b', ...RELEASED_MODELS.flatMap((m) => (m.preset ? [m.preset] : []))];
export type MakeModelPreset = string;
