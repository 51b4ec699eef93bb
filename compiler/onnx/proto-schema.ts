// The protobuf types of schemas/onnx.proto, loaded once with protobufjs
// reflection (no generated code to keep in step with the schema).

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import Long from 'long';

const schemaPath = fileURLToPath(new URL('../../schemas/onnx.proto', import.meta.url));

// int64 fields decode to Long so that values beyond 2^53 survive a round trip.
protobuf.util.Long = Long;
protobuf.configure();

const root = protobuf.loadSync(schemaPath);

export const ModelProto = root.lookupType('onnx.ModelProto');
export const TensorProto = root.lookupType('onnx.TensorProto');

/** A decoded message: fields by camelCase name, present fields as own properties. */
export type ProtoMessage = Record<string, any>;

export function has(message: ProtoMessage, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field) && message[field] !== null && message[field] !== undefined;
}

/** int64 -> number when exact, bigint otherwise. */
export function int64ToJs(v: unknown): number | bigint {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return v;
  if (Long.isLong(v)) {
    const l = v as Long;
    const n = l.toNumber();
    return Number.isSafeInteger(n) ? n : BigInt(l.toString());
  }
  if (typeof v === 'string') {
    const b = BigInt(v);
    return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
  }
  throw new Error(`not an int64: ${String(v)}`);
}

export function jsToInt64(v: number | bigint): number | Long {
  return typeof v === 'bigint' ? Long.fromString(v.toString()) : v;
}
