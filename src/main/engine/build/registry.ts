// Architectures by family. hf/config.ts resolves config.json's architectures[0] to a family
// (ArchKey) and is the one list of Hugging Face names; this registry gives each family its flags.
import { ARCH_KEYS, type ArchKey, type ModelConfig } from '../hf/config.ts';
import type { ArchSpec } from './arch.ts';
import { gemma3 } from './gemma3.ts';
import { llama } from './llama.ts';
import { qwen3 } from './qwen3.ts';

/** Every family has a spec: a family added to ARCH_KEYS does not compile until it is added here. */
const SPECS: Record<ArchKey, ArchSpec> = { qwen3, llama, gemma3 };

export const ARCHITECTURES: ArchSpec[] = ARCH_KEYS.map((key) => SPECS[key]);

export function archFor(config: ModelConfig): ArchSpec {
  return SPECS[config.arch];
}
