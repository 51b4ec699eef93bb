// TensorProto -> Tensor. raw_data stays a view on the decoded buffer; the typed
// fields (float_data, int32_data ...) that older exporters use are converted.

import { DataType, byteLengthOf, dataTypeInfo, isKnownDataType, isSubByte } from '../ir/data-type.ts';
import { Tensor, TensorSizeError, elementCount } from '../ir/tensor.ts';
import { UserError } from '../errors.ts';
import { ProtoMessage, has, int64ToJs } from './proto-schema.ts';

/** Supplies the bytes of a tensor stored in an external file. */
export type ExternalDataReader = (tensorName: string, entries: Map<string, string>, expectedBytes: number) => Uint8Array;

export function tensorFromProto(p: ProtoMessage, where: string, readExternal?: ExternalDataReader): Tensor {
  const name: string = p.name ?? '';
  const label = `${where} '${name}'`;
  const dataType = (p.dataType ?? 0) as number;
  if (!isKnownDataType(dataType) || dataType === DataType.UNDEFINED) {
    throw new UserError(`${label} has unknown data type ${dataType}`);
  }
  const dims = (p.dims as unknown[]).map((d) => {
    const n = int64ToJs(d);
    if (typeof n !== 'number' || n < 0) throw new UserError(`${label} has an invalid dimension ${String(d)}`);
    return n;
  });
  if (has(p, 'segment')) throw new UserError(`${label} is split into segments, which quantface does not support`);
  const count = elementCount(dims);
  const complexFactor = dataType === DataType.COMPLEX64 || dataType === DataType.COMPLEX128 ? 2 : 1;
  let tensor: Tensor;
  try {
    if (p.dataLocation === 1) {
      if (!readExternal) throw new UserError(`${label} stores its data in an external file, but the model was loaded from a buffer with no directory`);
      const entries = new Map<string, string>((p.externalData as ProtoMessage[]).map((e) => [e.key, e.value]));
      const bytes = readExternal(name, entries, byteLengthOf(dataType, count * complexFactor));
      tensor = Tensor.fromRaw(dataType, dims, bytes);
    } else if (dataType === DataType.STRING) {
      tensor = Tensor.fromStrings(dims, p.stringData as Uint8Array[]);
    } else if (has(p, 'rawData')) {
      tensor = Tensor.fromRaw(dataType, dims, p.rawData as Uint8Array);
    } else {
      tensor = fromTypedFields(p, dataType, dims, count * complexFactor);
    }
  } catch (e) {
    if (e instanceof TensorSizeError) throw new UserError(`${label}: ${e.message} (truncated or corrupt data)`);
    throw e;
  }
  if (p.docString) tensor.docString = p.docString;
  if ((p.metadataProps as ProtoMessage[] | undefined)?.length) {
    tensor.metadataProps = (p.metadataProps as ProtoMessage[]).map((e) => ({ key: e.key ?? '', value: e.value ?? '' }));
  }
  return tensor;
}

function fromTypedFields(p: ProtoMessage, type: DataType, dims: number[], count: number): Tensor {
  const Ctor = dataTypeInfo(type).array!;
  switch (type) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      return Tensor.fromTyped(type, dims, Float32Array.from(p.floatData as number[]));
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      return Tensor.fromTyped(type, dims, Float64Array.from(p.doubleData as number[]));
    case DataType.INT64:
      return Tensor.fromTyped(type, dims, BigInt64Array.from((p.int64Data as unknown[]).map((v) => BigInt(int64ToJs(v)))));
    case DataType.UINT32:
    case DataType.UINT64: {
      const values = (p.uint64Data as unknown[]).map((v) => BigInt(String(v)));
      if (type === DataType.UINT64) return Tensor.fromTyped(type, dims, BigUint64Array.from(values));
      return Tensor.fromTyped(type, dims, Uint32Array.from(values.map(Number)));
    }
    default: {
      // Everything else narrower than 32 bits travels in int32_data, sub-byte
      // types already packed (two int4 per entry).
      const ints = p.int32Data as number[];
      if (isSubByte(type)) {
        const packed = Uint8Array.from(ints);
        const expected = byteLengthOf(type, count);
        if (packed.length !== expected) throw new TensorSizeError(packed.length, expected, dims, type);
        return Tensor.fromRaw(type, dims, packed);
      }
      if (ints.length !== count) throw new TensorSizeError(ints.length, count, dims, type, 'elements');
      return Tensor.fromTyped(type, dims, (Ctor as any).from(ints));
    }
  }
}

