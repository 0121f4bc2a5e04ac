// Writes initializer data to `model.onnx.data`, tensor by tensor, at aligned offsets.
// Large tensors start on 64 KiB boundaries (Windows maps files in 64 KiB granules), small ones on 4 KiB.
import { openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { basename } from 'node:path';
import { DataType } from './onnx.ts';
import type { DataTypeId, TensorProto } from './onnx.ts';

const SMALL_ALIGN = 4096;
const LARGE_ALIGN = 65536;

export class WeightFile {
  private readonly fd: number;
  private offset = 0;
  readonly location: string;
  /** Every tensor written so far, as initializers that point into the file. */
  readonly tensors: TensorProto[] = [];

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    this.location = basename(path);
  }

  get bytesWritten(): number {
    return this.offset;
  }

  /** Appends `bytes` and returns a TensorProto that points at them. */
  add(name: string, dataType: DataTypeId, dims: number[], bytes: Uint8Array): TensorProto {
    const align = bytes.byteLength >= LARGE_ALIGN ? LARGE_ALIGN : SMALL_ALIGN;
    this.offset = Math.ceil(this.offset / align) * align;
    let done = 0;
    while (done < bytes.byteLength) {
      done += writeSync(this.fd, bytes, done, bytes.byteLength - done, this.offset + done);
    }
    const tensor: TensorProto = {
      name,
      dataType,
      dims,
      dataLocation: 1, // EXTERNAL
      externalData: [
        { key: 'location', value: this.location },
        { key: 'offset', value: String(this.offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ],
    };
    this.offset += bytes.byteLength;
    this.tensors.push(tensor);
    return tensor;
  }

  addFloat32(name: string, dims: number[], data: Float32Array): TensorProto {
    return this.add(name, DataType.FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  close(): void {
    ftruncateSync(this.fd, this.offset);
    closeSync(this.fd);
  }
}
