// Builds small and large models in code for tests and benchmarks: inputs,
// initializers (given or seeded random), ops with plain-object attributes.

import { Attribute } from '../../compiler/ir/attribute.ts';
import { DataType } from '../../compiler/ir/data-type.ts';
import { Model } from '../../compiler/ir/model.ts';
import { Tensor } from '../../compiler/ir/tensor.ts';
import type { Dim, Value } from '../../compiler/ir/value.ts';
import { Rng } from '../../runtime/generators/rng.ts';

export type AttrValue = number | number[] | string | Tensor | Attribute;

export class GraphBuilder {
  readonly model = new Model();
  readonly rng: Rng;

  constructor(options: { opset?: number; seed?: number; irVersion?: number } = {}) {
    this.model.opsetImports.set('', options.opset ?? 17);
    this.model.irVersion = options.irVersion ?? 8;
    this.model.producerName = 'quantface-test';
    this.rng = new Rng(options.seed ?? 1);
  }

  get graph() {
    return this.model.graph;
  }

  input(name: string, shape: Dim[], elemType: DataType = DataType.FLOAT): Value {
    const v = this.graph.createNamedValue(name, { tensor: { elemType, shape } });
    this.graph.inputs.push(v);
    return v;
  }

  /** Marks a graph output; a shape given here is declared as its type. */
  output(v: Value, shape?: Dim[]): Value {
    this.graph.outputs.push(v);
    if (shape) v.type = { tensor: { elemType: v.tensorType?.elemType ?? DataType.FLOAT, shape } };
    return v;
  }

  init(name: string, tensor: Tensor): Value {
    return this.graph.addInitializer(name, tensor);
  }

  floats(name: string, dims: number[], values: ArrayLike<number>): Value {
    return this.init(name, Tensor.float32(dims, values));
  }

  ints(name: string, dims: number[], values: ArrayLike<number | bigint>): Value {
    return this.init(name, Tensor.int64(dims, values));
  }

  /** Normal(mean, std) weights from the builder's seeded stream. */
  randn(name: string, dims: number[], std = 1, mean = 0): Value {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = this.rng.normal(mean, std);
    return this.floats(name, dims, data);
  }

  uniform(name: string, dims: number[], lo: number, hi: number): Value {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = this.rng.uniform(lo, hi);
    return this.floats(name, dims, data);
  }

  op(opType: string, inputs: (Value | null)[], attrs: Record<string, AttrValue> = {}, options: { outputs?: number; name?: string; domain?: string } = {}): Value {
    return this.opMulti(opType, inputs, attrs, options)[0];
  }

  opMulti(opType: string, inputs: (Value | null)[], attrs: Record<string, AttrValue> = {}, options: { outputs?: number; name?: string; domain?: string } = {}): Value[] {
    const node = this.graph.addNode({
      opType,
      inputs,
      outputs: options.outputs ?? 1,
      name: options.name,
      domain: options.domain,
      attributes: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return [...node.outputs];
  }

  /** Conv with He-initialised weights and a small random bias. */
  conv(x: Value, inChannels: number, outChannels: number, kernel: number, options: { stride?: number; pad?: number; group?: number; bias?: boolean; name?: string } = {}): Value {
    const group = options.group ?? 1;
    const name = options.name ?? this.graph.freshNodeName('conv');
    const fanIn = (inChannels / group) * kernel * kernel;
    const w = this.randn(`${name}.weight`, [outChannels, inChannels / group, kernel, kernel], Math.sqrt(2 / fanIn));
    const b = options.bias === false ? null : this.randn(`${name}.bias`, [outChannels], 0.05);
    const pad = options.pad ?? (kernel - 1) >> 1;
    const stride = options.stride ?? 1;
    return this.op('Conv', b ? [x, w, b] : [x, w], {
      kernel_shape: [kernel, kernel],
      pads: [pad, pad, pad, pad],
      strides: [stride, stride],
      group,
      dilations: [1, 1],
    }, { name });
  }

  /** Inference BatchNormalization with plausible random statistics. */
  batchNorm(x: Value, channels: number, options: { name?: string; epsilon?: number } = {}): Value {
    const name = options.name ?? this.graph.freshNodeName('bn');
    const scale = this.uniform(`${name}.scale`, [channels], 0.5, 1.5);
    const bias = this.randn(`${name}.bias`, [channels], 0.1);
    const mean = this.randn(`${name}.mean`, [channels], 0.1);
    const variance = this.uniform(`${name}.var`, [channels], 0.5, 2);
    return this.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: Attribute.float('epsilon', options.epsilon ?? 1e-5) }, { name });
  }

  prelu(x: Value, channels: number, options: { name?: string } = {}): Value {
    const name = options.name ?? this.graph.freshNodeName('prelu');
    const slope = this.uniform(`${name}.slope`, [channels, 1, 1], 0.05, 0.3);
    return this.op('PRelu', [x, slope], {}, { name });
  }
}

function toAttribute(name: string, v: AttrValue): Attribute {
  if (v instanceof Attribute) return v;
  if (v instanceof Tensor) return Attribute.tensor(name, v);
  if (typeof v === 'string') return Attribute.string(name, v);
  if (typeof v === 'number') return Number.isInteger(v) ? Attribute.int(name, v) : Attribute.float(name, v);
  return v.every(Number.isInteger) ? Attribute.ints(name, v) : Attribute.floats(name, v);
}
