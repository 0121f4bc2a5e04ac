// onnxruntime 1.30 writes packed weights at whatever offset the external data file has reached.
// MatMulNBits' integer kernels (accuracy_level 4) place their scales and block sums inside the
// packed buffer at addresses aligned from the buffer's start, so a buffer mapped at an unaligned
// offset is read shifted: the logits of a reloaded int4 or int8 model came out wrong by 12-22
// (fp32 and accuracy levels 0-2 were unaffected). Rewriting the file with every tensor and every
// packed buffer at an aligned offset makes the mapped copy compute exactly what a session that
// packs at load computes (test/integration/prepared.test.ts).
import { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from './build/onnx.ts';

/** A page: what any kernel's alignment divides, and what lets onnxruntime map each tensor. */
export const PREPARED_ALIGNMENT = 4096;
const COPY_CHUNK = 16 << 20;
/** "<key>|<offset>;<length>;<n>" as onnxruntime 1.30 names a packed buffer in external_data. */
const PACKED = /^(.*)\|(\d+);(\d+);(\d+)$/;

/**
 * Rewrites dir/model.onnx and dir/<dataName> so that every externally stored byte range starts
 * at a multiple of PREPARED_ALIGNMENT. Throws on anything it does not recognise (the caller then
 * keeps no prepared copy). Returns the new data file's size.
 */
export function alignPrepared(dir: string, dataName: string): number {
  const modelPath = join(dir, 'model.onnx');
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  const src = openSync(join(dir, dataName), 'r');
  let dst: number | null = openSync(join(dir, `${dataName}.aligned`), 'w');
  try {
    const srcBytes = fstatSync(src).size;
    const buffer = Buffer.alloc(COPY_CHUNK);
    let end = 0;
    const move = (offset: number, length: number): number => {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > srcBytes) {
        throw new Error(`${dataName}: a tensor at ${offset} of ${length} bytes lies outside the file (${srcBytes} bytes)`);
      }
      const at = Math.ceil(end / PREPARED_ALIGNMENT) * PREPARED_ALIGNMENT;
      for (let done = 0; done < length; ) {
        const n = readSync(src, buffer, 0, Math.min(COPY_CHUNK, length - done), offset + done);
        if (n <= 0) throw new Error(`${dataName}: ended early`);
        writeSync(dst!, buffer, 0, n, at + done);
        done += n;
      }
      end = at + length;
      return at;
    };
    for (const tensor of model.graph?.initializer ?? []) {
      const entries = tensor.externalData ?? [];
      if (entries.length === 0) continue;
      const field = (key: string) => entries.find((e) => e.key === key);
      if (field('location')?.value !== dataName) throw new Error(`${tensor.name}: stored in ${field('location')?.value}, not ${dataName}`);
      const length = field('length');
      const offset = field('offset');
      if (!length) throw new Error(`${tensor.name}: external data without a length`);
      const moved = move(Number(offset?.value ?? 0), Number(length.value));
      if (offset) offset.value = String(moved);
      else entries.push({ key: 'offset', value: String(moved) });
      for (const e of entries) {
        if (!e.key?.startsWith('prepacked_')) continue;
        const m = PACKED.exec(e.value ?? '');
        if (!m) throw new Error(`${tensor.name}: packed buffer named as "${e.value}", a form this version does not know`);
        e.value = `${m[1]}|${move(Number(m[2]), Number(m[3]))};${m[3]};${m[4]}`;
      }
    }
    closeSync(dst);
    dst = null;
    renameSync(join(dir, `${dataName}.aligned`), join(dir, dataName));
    writeFileSync(modelPath, onnx.ModelProto.encode(model).finish());
    return end;
  } finally {
    closeSync(src);
    if (dst !== null) closeSync(dst);
  }
}
