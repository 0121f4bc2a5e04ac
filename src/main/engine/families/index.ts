// The registry of architecture families: adding one is its own file in this folder plus a line
// here. Everything else (config.json parsing, the graph's flags, `dev make-model`, which names
// point at a family, the released shapes) follows from the Family object.
import type { Family, ReleasedModel } from './family.ts';
import { gemma3 } from './gemma3.ts';
import { llama } from './llama.ts';
import { qwen3 } from './qwen3.ts';

export const ARCH_KEYS = ['qwen3', 'llama', 'gemma3'] as const;
/** Key of a supported architecture family. */
export type ArchKey = (typeof ARCH_KEYS)[number];

/** A family listed in ARCH_KEYS and missing here does not compile. */
const FAMILIES: { [K in ArchKey]: Family<K> } = { qwen3, llama, gemma3 };

export function family(key: ArchKey): Family<ArchKey> {
  return FAMILIES[key];
}

export const ALL_FAMILIES: readonly Family<ArchKey>[] = ARCH_KEYS.map((key) => FAMILIES[key]);

/** config.json's architectures[0] names the engine reads, each with its family. */
export const HF_ARCHITECTURES: ReadonlyMap<string, Family<ArchKey>> = new Map(
  ALL_FAMILIES.flatMap((f) => Object.keys(f.parsers).map((name) => [name, f] as const)),
);

/** The released models of every family, with the family's key. */
export const RELEASED_MODELS: readonly (ReleasedModel & { arch: ArchKey })[] = ALL_FAMILIES.flatMap((f) => f.released.map((r) => ({ ...r, arch: f.key })));
