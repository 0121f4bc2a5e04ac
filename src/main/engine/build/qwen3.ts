// Qwen3: Llama plus per-head RMSNorm on q and k.
import { baseArch, type ArchSpec } from './arch.ts';

export const qwen3: ArchSpec = {
  ...baseArch,
  key: 'qwen3',
  qkNorm: true,
};
