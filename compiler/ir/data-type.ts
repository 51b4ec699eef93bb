// ONNX element types (TensorProto.DataType) and what the IR needs to know
// about each: how wide it is on the wire and which typed array holds it.

export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
  FLOAT8E8M0 = 24,
  UINT2 = 25,
  INT2 = 26,
}

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

type TypedArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

export interface DataTypeInfo {
  name: string;
  /** Bits one element takes in raw_data (4 for int4, 2 for int2). */
  bits: number;
  /**
   * The typed array that holds one element per entry once unpacked. float16,
   * bfloat16 and the float8/float4 types are kept as their raw bit patterns.
   */
  array: TypedArrayConstructor | null;
  /** Integer range, for the integer types quantization uses. */
  range?: [number, number];
}

const INFO: Record<number, DataTypeInfo> = {
  [DataType.FLOAT]: { name: 'float32', bits: 32, array: Float32Array },
  [DataType.UINT8]: { name: 'uint8', bits: 8, array: Uint8Array, range: [0, 255] },
  [DataType.INT8]: { name: 'int8', bits: 8, array: Int8Array, range: [-128, 127] },
  [DataType.UINT16]: { name: 'uint16', bits: 16, array: Uint16Array, range: [0, 65535] },
  [DataType.INT16]: { name: 'int16', bits: 16, array: Int16Array, range: [-32768, 32767] },
  [DataType.INT32]: { name: 'int32', bits: 32, array: Int32Array, range: [-2147483648, 2147483647] },
  [DataType.INT64]: { name: 'int64', bits: 64, array: BigInt64Array },
  [DataType.STRING]: { name: 'string', bits: 0, array: null },
  [DataType.BOOL]: { name: 'bool', bits: 8, array: Uint8Array },
  [DataType.FLOAT16]: { name: 'float16', bits: 16, array: Uint16Array },
  [DataType.DOUBLE]: { name: 'float64', bits: 64, array: Float64Array },
  [DataType.UINT32]: { name: 'uint32', bits: 32, array: Uint32Array, range: [0, 4294967295] },
  [DataType.UINT64]: { name: 'uint64', bits: 64, array: BigUint64Array },
  [DataType.COMPLEX64]: { name: 'complex64', bits: 64, array: Float32Array },
  [DataType.COMPLEX128]: { name: 'complex128', bits: 128, array: Float64Array },
  [DataType.BFLOAT16]: { name: 'bfloat16', bits: 16, array: Uint16Array },
  [DataType.FLOAT8E4M3FN]: { name: 'float8e4m3fn', bits: 8, array: Uint8Array },
  [DataType.FLOAT8E4M3FNUZ]: { name: 'float8e4m3fnuz', bits: 8, array: Uint8Array },
  [DataType.FLOAT8E5M2]: { name: 'float8e5m2', bits: 8, array: Uint8Array },
  [DataType.FLOAT8E5M2FNUZ]: { name: 'float8e5m2fnuz', bits: 8, array: Uint8Array },
  [DataType.UINT4]: { name: 'uint4', bits: 4, array: Uint8Array, range: [0, 15] },
  [DataType.INT4]: { name: 'int4', bits: 4, array: Int8Array, range: [-8, 7] },
  [DataType.FLOAT4E2M1]: { name: 'float4e2m1', bits: 4, array: Uint8Array },
  [DataType.FLOAT8E8M0]: { name: 'float8e8m0', bits: 8, array: Uint8Array },
  [DataType.UINT2]: { name: 'uint2', bits: 2, array: Uint8Array, range: [0, 3] },
  [DataType.INT2]: { name: 'int2', bits: 2, array: Int8Array, range: [-2, 1] },
};

export function dataTypeInfo(type: DataType): DataTypeInfo {
  const info = INFO[type];
  if (!info) throw new Error(`unknown ONNX data type ${type}`);
  return info;
}

export function isKnownDataType(type: number): type is DataType {
  return INFO[type] !== undefined;
}

export function dataTypeName(type: DataType): string {
  return INFO[type]?.name ?? `type${type}`;
}

/** Elements per byte is fractional for the packed sub-byte types. */
export function byteLengthOf(type: DataType, elements: number): number {
  return Math.ceil((elements * dataTypeInfo(type).bits) / 8);
}

export function isSubByte(type: DataType): boolean {
  return dataTypeInfo(type).bits < 8 && dataTypeInfo(type).bits > 0;
}
