// A small graph assembler: nodes, inputs, outputs and initializers, with deterministic names
// (`/model/layers.3/attn/q_proj/MatMul`) so that a built model reads well in Netron.
import { onnx, DataType, MS_DOMAIN, IR_VERSION, OPSET } from './onnx.ts';
import type { AttributeProto, DataTypeId, NodeProto, TensorProto, ValueInfoProto } from './onnx.ts';

export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };
export type Dim = number | string; // string = symbolic dimension

/** Node attributes; integers are written as INT, `{float}` as FLOAT (a JS number cannot say which). */
function attribute(name: string, value: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: write floats as {float: ${value}}`);
    return { name, type: T.INT, i: value };
  }
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: value.floats };
}

function valueInfo(name: string, elemType: DataTypeId, dims: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class Graph {
  readonly nodes: NodeProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly constants = new Map<string, string>();

  input(name: string, elemType: DataTypeId, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DataTypeId, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  initializer(tensor: TensorProto): string {
    this.initializers.push(tensor);
    return tensor.name!;
  }

  /**
   * Adds one node named `${path}/${op}` and returns its output names
   * (`${path}/${op}/output_${i}` unless given explicitly).
   */
  node(
    op: string,
    path: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: number | string[]; domain?: string } = {},
  ): string[] {
    const name = `${path}/${op}`;
    const outputs = Array.isArray(opts.outputs)
      ? opts.outputs
      : Array.from({ length: opts.outputs ?? 1 }, (_, i) => `${name}/output_${i}`);
    this.nodes.push({
      name,
      opType: op,
      domain: opts.domain ?? '',
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** Single-output shorthand of `node`. */
  op(op: string, path: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain?: string): string {
    return this.node(op, path, inputs, attrs, { domain })[0];
  }

  /** Contrib-op shorthand (com.microsoft domain). */
  ms(op: string, path: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    return this.node(op, path, inputs, attrs, { outputs, domain: MS_DOMAIN });
  }

  /** A small int64 constant (shapes, axes), stored once per distinct value. */
  int64s(values: number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = `/constants/int64_${this.constants.size}`;
      this.constants.set(key, name);
      this.initializers.push({
        name,
        dataType: DataType.INT64,
        dims: [values.length],
        rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
      });
    }
    return name;
  }

  /** Serialises the model (initializer data must already live in the external file). */
  encode(graphName: string, metadata: Record<string, string>): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'diffscope',
      opsetImport: [
        { domain: '', version: OPSET },
        { domain: MS_DOMAIN, version: 1 },
      ],
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: graphName,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
