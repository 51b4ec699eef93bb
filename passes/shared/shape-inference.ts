// Static shape inference for the ops CNN exports are made of. Exporters often
// write no value_info; without shapes, a Shape node cannot fold, a BN's rank is
// unknown and a MatMul's output axis is ambiguous. Unknown stays unknown (null)
// rather than guessed; symbolic dimensions pass through where the op keeps them.

import { DataType } from '../../compiler/ir/data-type.ts';
import type { Node } from '../../compiler/ir/node.ts';
import type { Dim, TensorType, Value } from '../../compiler/ir/value.ts';

type Shape = Dim[];

export interface Inferred {
  elemType: DataType;
  shape: Shape | null;
}

const UNARY = new Set([
  'Relu', 'PRelu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Softplus',
  'Softsign', 'Mish', 'Gelu', 'Erf', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round',
  'Sin', 'Cos', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'LRN', 'Softmax', 'LogSoftmax',
  'Hardmax', 'Identity', 'Dropout', 'ThresholdedRelu', 'Celu', 'Sign',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mod', 'Where', 'Equal', 'Less', 'Greater', 'And', 'Or', 'Xor', 'LessOrEqual', 'GreaterOrEqual']);
const COMPARISONS = new Set(['Equal', 'Less', 'Greater', 'And', 'Or', 'Xor', 'LessOrEqual', 'GreaterOrEqual', 'Not']);

export function typeOf(v: Value | null): TensorType | null {
  if (!v) return null;
  if (v.constValue) return { elemType: v.constValue.dataType, shape: [...v.constValue.dims] };
  return v.tensorType;
}

/** Output types of `node` from its inputs' types, or null per output when unknown. */
export function inferNode(node: Node): (Inferred | null)[] {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return node.outputs.map(() => null);
  const t = node.inputs.map(typeOf);
  const x = t[0];
  const same = (shape: Shape | null, elemType = x?.elemType): Inferred[] => (elemType === undefined ? [] : [{ elemType, shape }]);
  const op = node.opType;
  try {
    if (UNARY.has(op)) return same(x?.shape ?? null);
    if (BROADCAST.has(op)) {
      const inputs = op === 'Where' ? t.slice(1) : t;
      const elem = COMPARISONS.has(op) ? DataType.BOOL : op === 'Where' ? t[1]?.elemType : x?.elemType;
      const shapes = (op === 'Where' ? t : inputs).map((i) => i?.shape ?? null);
      return elem === undefined ? [] : [{ elemType: elem, shape: shapes.some((s) => s === null) ? null : broadcastShapes(shapes as Shape[]) }];
    }
    switch (op) {
      case 'Conv': case 'ConvTranspose': case 'MaxPool': case 'AveragePool': case 'LpPool':
        return same(convLikeShape(node, x?.shape ?? null, t[1]?.shape ?? null));
      case 'GlobalAveragePool': case 'GlobalMaxPool': case 'GlobalLpPool':
        return same(x?.shape ? [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] : null);
      case 'Gemm': {
        const a = x?.shape, b = t[1]?.shape;
        if (!a || !b) return same(null);
        return same([node.getInt('transA', 0) ? a[1] : a[0], node.getInt('transB', 0) ? b[0] : b[1]]);
      }
      case 'MatMul': return same(matmulShape(x?.shape ?? null, t[1]?.shape ?? null));
      case 'Flatten': {
        if (!x?.shape) return same(null);
        let axis = node.getInt('axis', 1);
        if (axis < 0) axis += x.shape.length;
        return same([product(x.shape.slice(0, axis)), product(x.shape.slice(axis))]);
      }
      case 'Reshape': {
        const target = node.input(1)?.constValue?.toNumbers();
        if (!target) {
          // A computed shape vector of known length still fixes the rank.
          const length = t[1]?.shape?.[0];
          return same(typeof length === 'number' ? new Array(length).fill(null) : null);
        }
        const allowZero = node.getInt('allowzero', 0) === 1;
        const dims: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? x?.shape?.[i] ?? null : d));
        const minus = dims.indexOf(-1);
        if (minus >= 0) {
          const total = x?.shape ? product(x.shape) : null;
          const known = product(dims.filter((_, i) => i !== minus));
          dims[minus] = typeof total === 'number' && typeof known === 'number' ? total / known : null;
        }
        return same(dims);
      }
      case 'Transpose': {
        if (!x?.shape) return same(null);
        const perm = node.getInts('perm') ?? x.shape.map((_, i) => x.shape!.length - 1 - i);
        return same(perm.map((p) => x.shape![p]));
      }
      case 'Concat': {
        if (t.some((i) => !i?.shape)) return same(null);
        const rank = x!.shape!.length;
        let axis = node.getInt('axis')!;
        if (axis < 0) axis += rank;
        const shape = [...x!.shape!];
        shape[axis] = t.reduce<Dim>((s, i) => (typeof s === 'number' && typeof i!.shape![axis] === 'number' ? s + (i!.shape![axis] as number) : null), 0);
        return same(shape);
      }
      case 'Unsqueeze': {
        const axes = node.input(1)?.constValue?.toNumbers() ?? node.getInts('axes');
        if (!x?.shape || !axes) return same(null);
        const rank = x.shape.length + axes.length;
        const shape = [...x.shape];
        for (const a of axes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q)) shape.splice(a, 0, 1);
        return same(shape);
      }
      case 'Squeeze': {
        if (!x?.shape) return same(null);
        const axes = node.input(1)?.constValue?.toNumbers() ?? node.getInts('axes');
        const rank = x.shape.length;
        const drop = new Set(axes ? axes.map((a) => (a < 0 ? a + rank : a)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
        if (!axes && x.shape.some((d) => typeof d !== 'number')) return same(null);
        return same(x.shape.filter((_, i) => !drop.has(i)));
      }
      case 'Shape': {
        if (!x?.shape) return [{ elemType: DataType.INT64, shape: [null] }];
        const rank = x.shape.length;
        const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
        return [{ elemType: DataType.INT64, shape: [Math.max(0, clamp(node.getInt('end', rank)) - clamp(node.getInt('start', 0)))] }];
      }
      case 'Gather': {
        const idx = t[1]?.shape;
        if (!x?.shape || !idx) return same(null);
        let axis = node.getInt('axis', 0);
        if (axis < 0) axis += x.shape.length;
        return same([...x.shape.slice(0, axis), ...idx, ...x.shape.slice(axis + 1)]);
      }
      case 'Cast': return [{ elemType: node.getInt('to')!, shape: x?.shape ?? null }];
      case 'Slice': {
        // Same element type; a sliced axis keeps a known size when its bounds are constant.
        if (!x?.shape) return same(null);
        const rank = x.shape.length;
        const fromInputs = node.inputs.length > 1;
        const starts = fromInputs ? node.input(1)?.constValue?.toNumbers() : node.getInts('starts');
        const ends = fromInputs ? node.input(2)?.constValue?.toNumbers() : node.getInts('ends');
        const axes = (fromInputs ? node.input(3)?.constValue?.toNumbers() : node.getInts('axes')) ?? starts?.map((_, i) => i);
        const steps = fromInputs && node.input(4) ? node.input(4)!.constValue?.toNumbers() : starts?.map(() => 1);
        const known = !!(starts && ends && axes && steps) && (!fromInputs || (!node.input(3) || !!node.input(3)!.constValue) && (!node.input(4) || !!node.input(4)!.constValue));
        const out: Dim[] = [...x.shape];
        (axes ?? []).forEach((a0, i) => {
          const a = a0 < 0 ? a0 + rank : a0;
          const d = x.shape![a];
          if (!known || typeof d !== 'number') {
            out[a] = null;
            return;
          }
          const step = steps![i];
          const clampIndex = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
          const b = step > 0 ? clampIndex(starts![i], 0, d) : clampIndex(starts![i], -1, d - 1);
          const e = step > 0 ? clampIndex(ends![i], 0, d) : clampIndex(ends![i], -1, d - 1);
          out[a] = Math.max(0, Math.ceil((e - b) / step));
        });
        if (!axes) return same(x.shape.map(() => null));
        return same(out);
      }
      case 'QuantizeLinear': {
        const zp = t[2]?.elemType ?? (node.getInt('output_dtype', 0) || DataType.UINT8);
        return [{ elemType: zp, shape: x?.shape ?? null }];
      }
      case 'DequantizeLinear': return [{ elemType: t[1]?.elemType ?? DataType.FLOAT, shape: x?.shape ?? null }];
      case 'Constant': {
        const v = node.getTensor('value');
        return v ? [{ elemType: v.dataType, shape: [...v.dims] }] : [null];
      }
      case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': case 'ReduceL2': case 'ReduceL1': {
        if (!x?.shape) return same(null);
        const axes = node.input(1)?.constValue?.toNumbers() ?? node.getInts('axes') ?? x.shape.map((_, i) => i);
        const rank = x.shape.length;
        const set = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
        const keep = node.getInt('keepdims', 1) === 1;
        return same(keep ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i)));
      }
      case 'Pad': {
        const pads = node.input(1)?.constValue?.toNumbers() ?? node.getInts('pads');
        if (!x?.shape || !pads || node.input(3)) return same(null);
        const rank = x.shape.length;
        return same(x.shape.map((d, i) => (typeof d === 'number' ? d + pads[i] + pads[i + rank] : null)));
      }
      default:
        return node.outputs.map(() => null);
    }
  } catch {
    return node.outputs.map(() => null);
  }
}

function product(dims: Dim[]): Dim {
  let p = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    p *= d;
  }
  return p;
}

function broadcastShapes(shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      const d = k < 0 ? 1 : s[k];
      if (d === 1) continue;
      if (dim === 1) dim = d;
      else if (d !== dim) dim = typeof d === 'number' && typeof dim === 'number' ? NaN : null;
    }
    if (Number.isNaN(dim)) throw new Error('shapes do not broadcast');
    out.push(dim);
  }
  return out;
}

function matmulShape(a: Shape | null, b: Shape | null): Shape | null {
  if (!a || !b) return null;
  if (a.length === 1 && b.length === 1) return [];
  if (a.length === 1) return [...b.slice(0, -2), b[b.length - 1]];
  if (b.length === 1) return a.slice(0, -1);
  const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)]);
  return [...batch, a[a.length - 2], b[b.length - 1]];
}

function convLikeShape(node: Node, x: Shape | null, w: Shape | null): Shape | null {
  if (!x) return null;
  const spatialRank = x.length - 2;
  const isConv = node.opType === 'Conv' || node.opType === 'ConvTranspose';
  const kernel = node.getInts('kernel_shape') ?? (isConv && w ? (w.slice(2) as number[]) : null);
  if (!kernel || kernel.some((k) => typeof k !== 'number')) return null;
  const strides = node.getInts('strides') ?? new Array(spatialRank).fill(1);
  const dilations = node.getInts('dilations') ?? new Array(spatialRank).fill(1);
  const pads = node.getInts('pads') ?? new Array(2 * spatialRank).fill(0);
  const autoPad = node.getString('auto_pad', 'NOTSET');
  const ceil = node.getInt('ceil_mode', 0) === 1;
  let channels: Dim = x[1];
  if (node.opType === 'Conv') channels = w ? w[0] : null;
  if (node.opType === 'ConvTranspose') channels = w && typeof w[1] === 'number' ? w[1] * node.getInt('group', 1) : null;
  const spatial = x.slice(2).map((d, i) => {
    if (typeof d !== 'number') return null;
    const k = (kernel[i] - 1) * dilations[i] + 1;
    if (node.opType === 'ConvTranspose') {
      const outPad = node.getInts('output_padding')?.[i] ?? 0;
      const explicit = node.getInts('output_shape');
      if (explicit) return explicit[i];
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return d * strides[i];
      return strides[i] * (d - 1) + outPad + k - pads[i] - pads[i + spatialRank];
    }
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(d / strides[i]);
    if (autoPad === 'VALID') return Math.floor((d - k) / strides[i]) + 1;
    const span = d + pads[i] + pads[i + spatialRank] - k;
    return (ceil ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
  });
  return [x[0], channels, ...spatial];
}
