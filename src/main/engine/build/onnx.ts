// The ONNX protobuf schema, loaded once (onnx-proto is CommonJS).
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export const DataType = onnxProto.onnx.TensorProto.DataType;
export type DataTypeId = onnxProto.onnx.TensorProto.DataType;

/** IR and opsets that onnxruntime 1.30 loads (ENGINE-NOTES.md). */
export const IR_VERSION = 10;
export const OPSET = 21;
export const MS_DOMAIN = 'com.microsoft';
