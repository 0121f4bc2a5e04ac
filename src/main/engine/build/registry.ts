// Architectures by config.architectures[0].
import type { ModelConfig } from '../hf/config.ts';
import type { ArchSpec } from './arch.ts';
import { gemma3 } from './gemma3.ts';
import { llama } from './llama.ts';
import { qwen3 } from './qwen3.ts';

export const ARCHITECTURES: ArchSpec[] = [qwen3, llama, gemma3];

const byHfName = new Map(ARCHITECTURES.flatMap((a) => a.hfArchitectures.map((n) => [n, a] as const)));

export function archFor(config: ModelConfig): ArchSpec {
  const spec = byHfName.get(config.hfArchitecture);
  if (!spec) {
    throw new Error(
      `config.json: architectures[0] "${config.hfArchitecture}" is not supported (supported: ${[...byHfName.keys()].join(', ')})`,
    );
  }
  return spec;
}
