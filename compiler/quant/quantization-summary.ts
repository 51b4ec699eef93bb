// What insert-qdq did, layer by layer: the basis of size reports and of the
// compile report.

export interface QuantizedLayer {
  node: string;
  opType: string;
  weight: string;
  parameters: number;
  weightBits: number;
  /** Bits of the codes actually stored (7 for W8 on an x86 target). */
  storedWeightBits: number;
  perChannel: boolean;
  container: string;
  biasParameters: number;
  inputBits: number | null;
  outputBits: number | null;
}

export interface QuantizationSummary {
  layers: QuantizedLayer[];
  activationTensors: Record<string, number>;
  floatOps: Record<string, number>;
  opset: number;
}
