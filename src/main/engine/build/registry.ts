// The graph flags of each architecture family, from its Family object (engine/families).
import { ALL_FAMILIES, family } from '../families/index.ts';
import type { ModelConfig } from '../hf/config.ts';
import type { ArchSpec } from './arch.ts';

export const ARCHITECTURES: ArchSpec[] = ALL_FAMILIES.map((f) => ({ ...f.spec, key: f.key }));

export function archFor(config: ModelConfig): ArchSpec {
  return { ...family(config.arch).spec, key: config.arch };
}
