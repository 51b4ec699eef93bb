// Evaluates the ops that shape computations and exported weight transforms are
// made of, on constant tensors, in TypeScript. Values are carried as float64
// (exact for every integer a shape computation produces) and written back in
// the op's output type; int64 results are clamped so INT64_MAX-style sentinels
// survive.

import { DataType } from '../compiler/ir/data-type.ts';
import type { Node } from '../compiler/ir/node.ts';
import { Tensor, elementCount } from '../compiler/ir/tensor.ts';
import type { Dim } from '../compiler/ir/value.ts';

interface Arr {
  type: DataType;
  dims: number[];
  data: Float64Array;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const NUMERIC = new Set([
  DataType.FLOAT, DataType.DOUBLE, DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8,
  DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.BOOL,
]);

type Evaluator = (node: Node, inputs: (Arr | null)[]) => Arr[] | null;

const EVALUATORS: Record<string, Evaluator> = {
  Identity: (_n, [x]) => [x!],
  Add: (_n, [a, b]) => [broadcast(a!, b!, (x, y) => x + y)],
  Sub: (_n, [a, b]) => [broadcast(a!, b!, (x, y) => x - y)],
  Mul: (_n, [a, b]) => [broadcast(a!, b!, (x, y) => x * y)],
  Div: (_n, [a, b]) => [broadcast(a!, b!, isInteger(a!.type) ? (x, y) => Math.trunc(x / y) : (x, y) => x / y)],
  Neg: (_n, [x]) => [map(x!, (v) => -v)],
  Sqrt: (_n, [x]) => [map(x!, Math.sqrt)],
  Reciprocal: (_n, [x]) => [map(x!, (v) => 1 / v)],
  Cast: (n, [x]) => {
    const to = n.getInt('to')!;
    if (!NUMERIC.has(to)) return null;
    return [{ type: to, dims: x!.dims, data: x!.data.map((v) => castValue(v, to)) }];
  },
  Shape: (n, [x]) => {
    const rank = x!.dims.length;
    const start = clampAxis(n.getInt('start', 0), rank);
    const end = clampAxis(n.getInt('end', rank), rank);
    const dims = x!.dims.slice(start, Math.max(start, end));
    return [{ type: DataType.INT64, dims: [dims.length], data: Float64Array.from(dims) }];
  },
  Unsqueeze: (n, [x, axesIn]) => {
    const axes = axesIn ? [...axesIn.data] : n.getInts('axes') ?? [];
    const rank = x!.dims.length + axes.length;
    const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    const dims = [...x!.dims];
    for (const a of norm) dims.splice(a, 0, 1);
    return [{ ...x!, dims }];
  },
  Squeeze: (n, [x, axesIn]) => {
    const axes = axesIn ? [...axesIn.data] : n.getInts('axes');
    const rank = x!.dims.length;
    const drop = new Set(axes ? axes.map((a) => (a < 0 ? a + rank : a)) : x!.dims.flatMap((d, i) => (d === 1 ? [i] : [])));
    return [{ ...x!, dims: x!.dims.filter((_, i) => !drop.has(i)) }];
  },
  Flatten: (n, [x]) => {
    const rank = x!.dims.length;
    let axis = n.getInt('axis', 1);
    if (axis < 0) axis += rank;
    const outer = x!.dims.slice(0, axis).reduce((a, b) => a * b, 1);
    return [{ ...x!, dims: [outer, elementCount(x!.dims) / outer] }];
  },
  Reshape: (n, [x, shape]) => {
    const target = [...shape!.data];
    const allowZero = n.getInt('allowzero', 0) === 1;
    const dims = target.map((t, i) => (t === 0 && !allowZero ? x!.dims[i] : t));
    const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const total = elementCount(x!.dims);
    return [{ ...x!, dims: dims.map((d) => (d === -1 ? total / known : d)) }];
  },
  Concat: (n, inputs) => {
    const xs = inputs as Arr[];
    const rank = xs[0].dims.length;
    let axis = n.getInt('axis')!;
    if (axis < 0) axis += rank;
    const dims = [...xs[0].dims];
    dims[axis] = xs.reduce((s, a) => s + a.dims[axis], 0);
    const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const data = new Float64Array(elementCount(dims));
    let o = 0;
    for (let i = 0; i < outer; i++) {
      for (const a of xs) {
        const chunk = elementCount(a.dims.slice(axis));
        data.set(a.data.subarray(i * chunk, (i + 1) * chunk), o);
        o += chunk;
      }
    }
    return [{ type: xs[0].type, dims, data }];
  },
  Gather: (n, [x, idx]) => {
    const rank = x!.dims.length;
    let axis = n.getInt('axis', 0);
    if (axis < 0) axis += rank;
    const outer = x!.dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x!.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const size = x!.dims[axis];
    const dims = [...x!.dims.slice(0, axis), ...idx!.dims, ...x!.dims.slice(axis + 1)];
    const data = new Float64Array(elementCount(dims));
    let o = 0;
    for (let i = 0; i < outer; i++) {
      for (const raw of idx!.data) {
        const k = raw < 0 ? raw + size : raw;
        if (k < 0 || k >= size) return null;
        data.set(x!.data.subarray((i * size + k) * inner, (i * size + k + 1) * inner), o);
        o += inner;
      }
    }
    return [{ type: x!.type, dims, data }];
  },
  Transpose: (n, [x]) => {
    const rank = x!.dims.length;
    const perm = n.getInts('perm') ?? [...Array(rank).keys()].reverse();
    const dims = perm.map((p) => x!.dims[p]);
    const inStrides = strides(x!.dims);
    const data = new Float64Array(x!.data.length);
    const idx = new Array(rank).fill(0);
    for (let o = 0; o < data.length; o++) {
      let src = 0;
      for (let d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
      data[o] = x!.data[src];
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d] < dims[d]) break;
        idx[d] = 0;
      }
    }
    return [{ type: x!.type, dims, data }];
  },
  Slice: (n, [x, startsIn, endsIn, axesIn, stepsIn]) => {
    const rank = x!.dims.length;
    const starts = startsIn ? [...startsIn.data] : n.getInts('starts')!;
    const ends = endsIn ? [...endsIn.data] : n.getInts('ends')!;
    const axes = axesIn ? [...axesIn.data] : n.getInts('axes') ?? starts.map((_, i) => i);
    const steps = stepsIn ? [...stepsIn.data] : starts.map(() => 1);
    const begin = x!.dims.map(() => 0), step = x!.dims.map(() => 1), dims = [...x!.dims];
    axes.forEach((a0, i) => {
      const a = a0 < 0 ? a0 + rank : a0;
      const size = x!.dims[a];
      const s = steps[i];
      if (s === 0) throw new Error('Slice step 0');
      const clampIdx = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + size : v, lo), hi);
      const b = s > 0 ? clampIdx(starts[i], 0, size) : clampIdx(starts[i], -1, size - 1);
      const e = s > 0 ? clampIdx(ends[i], 0, size) : clampIdx(ends[i], -1, size - 1);
      begin[a] = b;
      step[a] = s;
      dims[a] = Math.max(0, Math.ceil((e - b) / s));
    });
    const inStrides = strides(x!.dims);
    const data = new Float64Array(elementCount(dims));
    const idx = new Array(rank).fill(0);
    for (let o = 0; o < data.length; o++) {
      let src = 0;
      for (let d = 0; d < rank; d++) src += (begin[d] + idx[d] * step[d]) * inStrides[d];
      data[o] = x!.data[src];
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d] < dims[d]) break;
        idx[d] = 0;
      }
    }
    return [{ type: x!.type, dims, data }];
  },
  ConstantOfShape: (n, [shape]) => {
    const dims = [...shape!.data];
    const value = n.getTensor('value');
    const type = value?.dataType ?? DataType.FLOAT;
    const v = value ? Number(value.toFloat32()[0]) : 0;
    return [{ type, dims, data: new Float64Array(elementCount(dims)).fill(v) }];
  },
  Range: (_n, [start, limit, delta]) => {
    const s = start!.data[0], l = limit!.data[0], d = delta!.data[0];
    const count = Math.max(0, Math.ceil((l - s) / d));
    return [{ type: start!.type, dims: [count], data: Float64Array.from({ length: count }, (_, i) => s + i * d) }];
  },
};

export const FOLDABLE_OPS = new Set(Object.keys(EVALUATORS));

/**
 * The outputs of `node` computed from constant inputs, or null when the op or
 * a type is not supported. `staticShapes` gives the input shape of a Shape
 * node whose input is not constant but has a fully static shape.
 */
export function evaluateNode(node: Node, inputs: (Tensor | null)[], staticShape?: readonly Dim[]): Tensor[] | null {
  const evaluate = EVALUATORS[node.opType];
  if (!evaluate) return null;
  const arrs: (Arr | null)[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (!t) {
      if (node.opType === 'Shape' && i === 0 && staticShape) {
        arrs.push({ type: DataType.FLOAT, dims: staticShape as number[], data: new Float64Array(0) });
        continue;
      }
      arrs.push(null);
      continue;
    }
    if (!NUMERIC.has(t.dataType)) return null;
    const values = t.dataType === DataType.INT64 ? Float64Array.from(t.data as BigInt64Array, Number) : Float64Array.from(t.data as ArrayLike<number>);
    arrs.push({ type: t.dataType, dims: [...t.dims], data: values });
  }
  const out = evaluate(node, arrs);
  return out ? out.map(toTensor) : null;
}

function toTensor(a: Arr): Tensor {
  switch (a.type) {
    case DataType.FLOAT: return Tensor.fromTyped(a.type, a.dims, Float32Array.from(a.data));
    case DataType.DOUBLE: return Tensor.fromTyped(a.type, a.dims, Float64Array.from(a.data));
    case DataType.INT64:
      return Tensor.fromTyped(a.type, a.dims, BigInt64Array.from(a.data, (v) => {
        if (v >= 9.2e18) return INT64_MAX;
        if (v <= -9.2e18) return INT64_MIN;
        return BigInt(Math.trunc(v));
      }));
    case DataType.INT32: return Tensor.fromTyped(a.type, a.dims, Int32Array.from(a.data));
    case DataType.INT16: return Tensor.fromTyped(a.type, a.dims, Int16Array.from(a.data));
    case DataType.INT8: return Tensor.fromTyped(a.type, a.dims, Int8Array.from(a.data));
    case DataType.UINT8: case DataType.BOOL: return Tensor.fromTyped(a.type, a.dims, Uint8Array.from(a.data));
    case DataType.UINT16: return Tensor.fromTyped(a.type, a.dims, Uint16Array.from(a.data));
    case DataType.UINT32: return Tensor.fromTyped(a.type, a.dims, Uint32Array.from(a.data));
    default: throw new Error(`cannot build a constant of type ${a.type}`);
  }
}

function isInteger(t: DataType): boolean {
  return t !== DataType.FLOAT && t !== DataType.DOUBLE;
}

function castValue(v: number, to: DataType): number {
  if (to === DataType.FLOAT) return Math.fround(v);
  if (to === DataType.DOUBLE) return v;
  if (to === DataType.BOOL) return v !== 0 ? 1 : 0;
  return Math.trunc(v);
}

function map(x: Arr, f: (v: number) => number): Arr {
  return { type: x.type, dims: x.dims, data: x.data.map(f) };
}

function strides(dims: number[]): number[] {
  const s = new Array(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

function clampAxis(a: number, rank: number): number {
  return Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
}

/** Numpy-style broadcasting of a binary op. */
function broadcast(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const rank = Math.max(a.dims.length, b.dims.length);
  const ad = [...Array(rank - a.dims.length).fill(1), ...a.dims];
  const bd = [...Array(rank - b.dims.length).fill(1), ...b.dims];
  const dims = ad.map((d, i) => {
    if (d !== bd[i] && d !== 1 && bd[i] !== 1) throw new Error(`cannot broadcast [${a.dims}] with [${b.dims}]`);
    return Math.max(d, bd[i]);
  });
  const as = strides(ad).map((s, i) => (ad[i] === 1 ? 0 : s));
  const bs = strides(bd).map((s, i) => (bd[i] === 1 ? 0 : s));
  const data = new Float64Array(elementCount(dims));
  const idx = new Array(rank).fill(0);
  const integer = isInteger(a.type);
  for (let o = 0; o < data.length; o++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += idx[d] * as[d];
      ib += idx[d] * bs[d];
    }
    const v = f(a.data[ia], b.data[ib]);
    data[o] = integer ? v : a.type === DataType.FLOAT ? Math.fround(v) : v;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return { type: a.type, dims, data };
}
