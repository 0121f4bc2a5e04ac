// Writes initializer data to `model.onnx.data` at aligned offsets. Small tensors (norms, RoPE
// tables) are written at once; large ones (linears, embeddings) are reserved while the graph is
// built and filled afterwards by conversion jobs that worker threads run (convert-pool.ts).
// Large tensors start on 64 KiB boundaries (Windows maps files in 64 KiB granules), small ones on 4 KiB.
import { openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { basename } from 'node:path';
import { DataType } from './onnx.ts';
import type { DataTypeId, TensorProto } from './onnx.ts';
import type { Encoding } from './encode.ts';
import type { SourceDtype } from './quantize.ts';

const SMALL_ALIGN = 4096;
const LARGE_ALIGN = 65536;

/** Where a checkpoint tensor's bytes are: read in chunks of rows by the conversion. */
export interface SourceTensor {
  name: string;
  path: string; // the .safetensors file
  begin: number; // absolute byte offset of the data
  dtype: SourceDtype;
  rows: number;
  cols: number;
}

/** One source tensor to encode into reserved space: one file offset per output part. */
export interface ConversionJob {
  source: SourceTensor;
  encoding: Encoding;
  targets: number[];
}

export class WeightFile {
  private readonly fd: number;
  private offset = 0;
  readonly location: string;
  /** Every tensor written or reserved so far, as initializers that point into the file. */
  readonly tensors: TensorProto[] = [];
  /** Reserved tensors still to be filled, in file order. */
  readonly jobs: ConversionJob[] = [];

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    this.location = basename(path);
  }

  get bytesWritten(): number {
    return this.offset;
  }

  /** Space for `byteLength` bytes; returns the tensor pointing at it and its offset. */
  reserve(name: string, dataType: DataTypeId, dims: number[], byteLength: number): { tensor: TensorProto; offset: number } {
    const align = byteLength >= LARGE_ALIGN ? LARGE_ALIGN : SMALL_ALIGN;
    this.offset = Math.ceil(this.offset / align) * align;
    const tensor = external(name, dataType, dims, this.location, this.offset, byteLength);
    const at = this.offset;
    this.offset += byteLength;
    this.tensors.push(tensor);
    return { tensor, offset: at };
  }

  /** Another initializer over the bytes of `of` (same length, other dims): stored once, used twice. */
  alias(name: string, dims: number[], of: TensorProto): TensorProto {
    const get = (key: string) => of.externalData!.find((e) => e.key === key)!.value!;
    const tensor = external(name, of.dataType!, dims, this.location, Number(get('offset')), Number(get('length')));
    this.tensors.push(tensor);
    return tensor;
  }

  /** Appends `bytes` now and returns a TensorProto that points at them. */
  add(name: string, dataType: DataTypeId, dims: number[], bytes: Uint8Array): TensorProto {
    const { tensor, offset } = this.reserve(name, dataType, dims, bytes.byteLength);
    this.writeAt(offset, bytes);
    return tensor;
  }

  addFloat32(name: string, dims: number[], data: Float32Array): TensorProto {
    return this.add(name, DataType.FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Queues a conversion into space reserved for its parts. */
  convert(job: ConversionJob): void {
    this.jobs.push(job);
  }

  writeAt(position: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(this.fd, bytes, done, bytes.byteLength - done, position + done);
  }

  close(): void {
    ftruncateSync(this.fd, this.offset);
    closeSync(this.fd);
  }
}

/** A tensor whose bytes lie at `offset` in the external data file `location`. */
export function external(name: string, dataType: DataTypeId, dims: number[], location: string, offset: number, length: number): TensorProto {
  return {
    name,
    dataType,
    dims,
    dataLocation: 1, // EXTERNAL
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
  };
}
