// A constant tensor. It is stored the way ONNX stores it on disk (little-endian
// raw bytes), and the typed array is made on first access: a view on those bytes
// when they are aligned (no copy of the model file), a copy otherwise. Tensors
// are treated as immutable: a pass that changes a weight makes a new Tensor, so
// a view on the input file's buffer is never written through.

import { DataType, TypedArray, byteLengthOf, dataTypeInfo, dataTypeName, isSubByte } from './data-type.ts';

export interface StringEntry {
  key: string;
  value: string;
}

export class Tensor {
  private raw: Uint8Array | null;
  private typed: TypedArray | null;
  private readonly strings: Uint8Array[] | null;
  docString = '';
  metadataProps: StringEntry[] = [];

  private constructor(
    readonly dataType: DataType,
    readonly dims: readonly number[],
    raw: Uint8Array | null,
    typed: TypedArray | null,
    strings: Uint8Array[] | null,
  ) {
    this.raw = raw;
    this.typed = typed;
    this.strings = strings;
  }

  /** Wraps little-endian bytes (a view is kept, nothing is copied). */
  static fromRaw(dataType: DataType, dims: readonly number[], raw: Uint8Array): Tensor {
    const expected = byteLengthOf(dataType, elementCount(dims));
    if (raw.byteLength !== expected) {
      throw new TensorSizeError(raw.byteLength, expected, dims, dataType);
    }
    return new Tensor(dataType, dims, raw, null, null);
  }

  /**
   * Wraps one value per entry. Sub-byte types take unpacked codes here (an
   * Int8Array of -8..7 for INT4); float16/bfloat16 take their bit patterns.
   */
  static fromTyped(dataType: DataType, dims: readonly number[], data: TypedArray): Tensor {
    const n = elementCount(dims) * (isComplex(dataType) ? 2 : 1);
    if (data.length !== n) throw new TensorSizeError(data.length, n, dims, dataType, 'elements');
    const Ctor = dataTypeInfo(dataType).array;
    if (!Ctor || !(data instanceof Ctor)) {
      throw new Error(`${dataTypeName(dataType)} tensor needs a ${Ctor?.name ?? 'string list'}, got ${data.constructor.name}`);
    }
    return new Tensor(dataType, dims, null, data, null);
  }

  static fromStrings(dims: readonly number[], strings: Uint8Array[]): Tensor {
    if (strings.length !== elementCount(dims)) throw new TensorSizeError(strings.length, elementCount(dims), dims, DataType.STRING, 'strings');
    return new Tensor(DataType.STRING, dims, null, null, strings);
  }

  static scalar(dataType: DataType.FLOAT | DataType.INT64 | DataType.INT32, value: number): Tensor {
    if (dataType === DataType.FLOAT) return Tensor.fromTyped(dataType, [], Float32Array.of(value));
    if (dataType === DataType.INT32) return Tensor.fromTyped(dataType, [], Int32Array.of(value));
    return Tensor.fromTyped(dataType, [], BigInt64Array.of(BigInt(value)));
  }

  static float32(dims: readonly number[], data: ArrayLike<number>): Tensor {
    return Tensor.fromTyped(DataType.FLOAT, dims, data instanceof Float32Array ? data : Float32Array.from(data));
  }

  static int64(dims: readonly number[], data: ArrayLike<number | bigint>): Tensor {
    return Tensor.fromTyped(DataType.INT64, dims, BigInt64Array.from(Array.from(data, (v) => BigInt(v))));
  }

  get size(): number {
    return elementCount(this.dims);
  }

  get byteLength(): number {
    if (this.strings) return this.strings.reduce((s, b) => s + b.byteLength, 0);
    return byteLengthOf(this.dataType, this.size * (isComplex(this.dataType) ? 2 : 1));
  }

  get isString(): boolean {
    return this.dataType === DataType.STRING;
  }

  /** One entry per element (two per complex element). */
  get data(): TypedArray {
    if (this.typed) return this.typed;
    if (!this.raw) throw new Error('string tensors have no typed data; use stringData');
    this.typed = decodeRaw(this.dataType, this.raw, this.size * (isComplex(this.dataType) ? 2 : 1));
    return this.typed;
  }

  get stringData(): Uint8Array[] {
    if (!this.strings) throw new Error(`a ${dataTypeName(this.dataType)} tensor has no string data`);
    return this.strings;
  }

  /** The bytes ONNX stores in raw_data (sub-byte types packed). */
  get rawData(): Uint8Array {
    if (this.raw) return this.raw;
    if (!this.typed) throw new Error('string tensors have no raw data');
    this.raw = encodeRaw(this.dataType, this.typed);
    return this.raw;
  }

  /** Numeric values as float32, whatever the element type. */
  toFloat32(): Float32Array {
    const d = this.data;
    if (d instanceof Float32Array && this.dataType === DataType.FLOAT) return d;
    const out = new Float32Array(d.length);
    if (this.dataType === DataType.FLOAT16) {
      for (let i = 0; i < d.length; i++) out[i] = float16ToFloat32(d[i] as number);
    } else if (this.dataType === DataType.BFLOAT16) {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < d.length; i++) u[i] = (d[i] as number) << 16;
    } else if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
      for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
    } else if (isFloat8or4(this.dataType)) {
      throw new Error(`converting ${dataTypeName(this.dataType)} to float32 is not supported`);
    } else {
      for (let i = 0; i < d.length; i++) out[i] = d[i] as number;
    }
    return out;
  }

  /** Integer values as plain numbers (int64 beyond 2^53 throws). */
  toNumbers(): number[] {
    const d = this.data;
    return Array.from(d as ArrayLike<number | bigint>, (v) => {
      if (typeof v === 'bigint') {
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new Error(`int64 value ${v} does not fit a JavaScript number`);
        }
        return Number(v);
      }
      return v;
    });
  }

  describe(): string {
    return `${dataTypeName(this.dataType)}[${this.dims.join(',')}]`;
  }
}

export class TensorSizeError extends Error {
  constructor(actual: number, expected: number, dims: readonly number[], type: DataType, unit = 'bytes') {
    super(`${dataTypeName(type)}[${dims.join(',')}] needs ${expected} ${unit} but holds ${actual}`);
  }
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function isComplex(type: DataType): boolean {
  return type === DataType.COMPLEX64 || type === DataType.COMPLEX128;
}

function isFloat8or4(type: DataType): boolean {
  return type >= DataType.FLOAT8E4M3FN && type <= DataType.FLOAT8E5M2FNUZ || type === DataType.FLOAT4E2M1 || type === DataType.FLOAT8E8M0;
}

function decodeRaw(type: DataType, raw: Uint8Array, count: number): TypedArray {
  const info = dataTypeInfo(type);
  const Ctor = info.array!;
  if (isSubByte(type)) return unpackSubByte(type, raw, count);
  const width = info.bits / 8;
  if (raw.byteOffset % width === 0) {
    return new Ctor(raw.buffer as ArrayBuffer, raw.byteOffset, count) as TypedArray;
  }
  // Protobuf places raw_data at any byte offset; typed arrays need alignment.
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  return new Ctor(copy.buffer, 0, count) as TypedArray;
}

function encodeRaw(type: DataType, data: TypedArray): Uint8Array {
  if (isSubByte(type)) return packSubByte(type, data as Int8Array | Uint8Array);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** INT4/UINT4: two per byte, first element in the low nibble (likewise 2-bit, four per byte). */
export function unpackSubByte(type: DataType, raw: Uint8Array, count: number): Int8Array | Uint8Array {
  const bits = dataTypeInfo(type).bits;
  const signed = type === DataType.INT4 || type === DataType.INT2;
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let v = (raw[(i / perByte) | 0] >> ((i % perByte) * bits)) & mask;
    if (signed && v >= 1 << (bits - 1)) v -= 1 << bits;
    out[i] = v;
  }
  return out;
}

export function packSubByte(type: DataType, values: Int8Array | Uint8Array): Uint8Array {
  const bits = dataTypeInfo(type).bits;
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(Math.ceil(values.length / perByte));
  for (let i = 0; i < values.length; i++) {
    out[(i / perByte) | 0] |= (values[i] & mask) << ((i % perByte) * bits);
  }
  return out;
}

export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
