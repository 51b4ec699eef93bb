import { expect } from 'chai';
import fc from 'fast-check';
import { CholeskyDecomposition, Matrix, inverse } from 'ml-matrix';
import { Rng } from '../../runtime/generators/rng.ts';
import { gptqQuantize } from './gptq.ts';
import { nearestCode, roundToNearest, type QuantGrid } from './gptq-grid.ts';

// Samples of a layer input with correlated features (X = Z A) and feature
// scales spread over two decades, as in real activations; samples x cols.
function correlatedInputs(rng: Rng, samples: number, cols: number): Float64Array {
  const mix = Float64Array.from({ length: cols * cols }, () => rng.normal());
  const featureScale = Float64Array.from({ length: cols }, () => 10 ** rng.uniform(-1, 1));
  const x = new Float64Array(samples * cols);
  const z = new Float64Array(cols);
  for (let s = 0; s < samples; s++) {
    for (let k = 0; k < cols; k++) z[k] = rng.normal();
    for (let j = 0; j < cols; j++) {
      let v = 0;
      for (let k = 0; k < cols; k++) v += z[k] * mix[k * cols + j];
      x[s * cols + j] = v * featureScale[j];
    }
  }
  return x;
}

function gram(x: Float64Array, samples: number, cols: number): Float64Array {
  const h = new Float64Array(cols * cols);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < cols; i++) {
      const xi = x[s * cols + i];
      for (let j = 0; j < cols; j++) h[i * cols + j] += xi * x[s * cols + j];
    }
  }
  return h;
}

function normalWeights(rng: Rng, rows: number, cols: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => rng.normal(0, 0.1));
}

// Symmetric signed grid, scale from each row's largest magnitude.
function symmetricGrid(w: Float64Array, rows: number, bits: number): QuantGrid {
  const cols = w.length / rows;
  const qmax = 2 ** (bits - 1) - 1;
  const scale = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(w[r * cols + c]));
    scale[r] = m / qmax;
  }
  return { scale, zeroPoint: new Float64Array(rows), qmin: -qmax - 1, qmax };
}

// ||W X^T - Q X^T||_F^2, the layer output error on the calibration inputs.
function outputError(w: Float64Array, q: Float64Array, x: Float64Array, rows: number, cols: number, samples: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < samples; s++) {
      let e = 0;
      for (let c = 0; c < cols; c++) e += (w[r * cols + c] - q[r * cols + c]) * x[s * cols + c];
      total += e * e;
    }
  }
  return total;
}

// Paper Algorithm 1 as printed, unblocked: H^-1 and its upper Cholesky
// factor from ml-matrix. Dead inputs zeroed as in the reference code, given
// the mean live H_ii; damping relative to that mean.
function paperAlgorithm1(w: Float64Array, h: Float64Array, grid: QuantGrid, dampPercent: number, actOrder: boolean) {
  const rows = grid.scale.length, cols = w.length / rows;
  const dead = Array.from({ length: cols }, (_, i) => h[i * cols + i] === 0);
  const liveDiagonal = Array.from({ length: cols }, (_, i) => h[i * cols + i]).filter((_, i) => !dead[i]);
  const meanDiag = liveDiagonal.reduce((s, v) => s + v, 0) / liveDiagonal.length;
  const diag = (i: number) => (dead[i] ? meanDiag : h[i * cols + i]);
  const perm = Array.from({ length: cols }, (_, i) => i);
  if (actOrder) perm.sort((a, b) => (dead[b] ? -Infinity : diag(b)) - (dead[a] ? -Infinity : diag(a)) || a - b);
  const hp = new Matrix(cols, cols);
  for (let a = 0; a < cols; a++) {
    for (let b = 0; b < cols; b++) {
      const v = a === b ? diag(perm[a]) + dampPercent * meanDiag : dead[perm[a]] || dead[perm[b]] ? 0 : h[perm[a] * cols + perm[b]];
      hp.set(a, b, v);
    }
  }
  const hinv = inverse(hp);
  const symmetric = hinv.add(hinv.transpose()).div(2);
  const u = new CholeskyDecomposition(symmetric).lowerTriangularMatrix.transpose();
  const work = Matrix.zeros(rows, cols);
  for (let r = 0; r < rows; r++) for (let a = 0; a < cols; a++) work.set(r, a, dead[perm[a]] ? 0 : w[r * cols + perm[a]]);
  const codes = new Int32Array(rows * cols);
  for (let a = 0; a < cols; a++) {
    for (let r = 0; r < rows; r++) {
      const code = nearestCode(work.get(r, a), grid.scale[r], grid.zeroPoint[r], grid.qmin, grid.qmax);
      codes[r * cols + perm[a]] = code;
      const err = (work.get(r, a) - (code - grid.zeroPoint[r]) * grid.scale[r]) / u.get(a, a);
      for (let b = a + 1; b < cols; b++) work.set(r, b, work.get(r, b) - err * u.get(a, b));
    }
  }
  return codes;
}

interface Problem { w: Float64Array; x: Float64Array; h: Float64Array; rows: number; cols: number; samples: number }

function problem(seed: number, rows: number, cols: number, samples: number): Problem {
  const rng = new Rng(seed);
  const w = normalWeights(rng.fork('w'), rows, cols);
  const x = correlatedInputs(rng.fork('x'), samples, cols);
  return { w, x, h: gram(x, samples, cols), rows, cols, samples };
}

// The same problem with some input features never nonzero.
function withDeadInputs(p: Problem, dead: number[]): Problem {
  const x = p.x.slice();
  for (let s = 0; s < p.samples; s++) for (const c of dead) x[s * p.cols + c] = 0;
  return { ...p, x, h: gram(x, p.samples, p.cols) };
}

describe('gptqQuantize', () => {
  it('gives the codes of the paper\'s Algorithm 1 (H^-1, upper Cholesky, per-column updates)', () => {
    for (const actOrder of [false, true]) {
      const { w, h, rows } = withDeadInputs(problem(11, 6, 40, 120), [3, 17]);
      const grid = symmetricGrid(w, rows, 3);
      const ours = gptqQuantize(w, h, grid, { blockSize: 16, actOrder });
      const reference = paperAlgorithm1(w, h, grid, 0.01, actOrder);
      expect(Array.from(ours.codes)).to.deep.equal(Array.from(reference));
    }
  });

  it('reduces the output error of round-to-nearest by a clear factor at 4 and 3 bits', () => {
    for (const bits of [4, 3]) {
      for (const seed of [1, 2, 3]) {
        const { w, x, h, rows, cols, samples } = problem(seed, 32, 96, 400);
        const grid = symmetricGrid(w, rows, bits);
        const rtn = outputError(w, roundToNearest(w, grid).dequantized, x, rows, cols, samples);
        const gptq = outputError(w, gptqQuantize(w, h, grid).dequantized, x, rows, cols, samples);
        expect(gptq / rtn, `${bits} bits, seed ${seed}`).to.be.below(0.8);
      }
    }
  });

  it('reports the objective it reached: tr(dW (H + lambda I) dW^T)', () => {
    const { w, h, rows, cols } = problem(4, 8, 24, 60);
    const { dequantized, stats } = gptqQuantize(w, h, symmetricGrid(w, rows, 4));
    let direct = 0;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < cols; i++) {
        for (let j = 0; j < cols; j++) {
          const hij = h[i * cols + j] + (i === j ? stats.damping : 0);
          direct += (w[r * cols + i] - dequantized[r * cols + i]) * hij * (w[r * cols + j] - dequantized[r * cols + j]);
        }
      }
    }
    expect(stats.hessianError).to.be.closeTo(direct, 1e-9 * direct);
  });

  it('equals round-to-nearest exactly when H is the identity', () => {
    const rng = new Rng(5);
    const rows = 16, cols = 50;
    const w = normalWeights(rng, rows, cols);
    const h = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++) h[i * cols + i] = 1;
    for (const bits of [2, 4, 8]) {
      const grid = symmetricGrid(w, rows, bits);
      const ours = gptqQuantize(w, h, grid, { blockSize: 7 });
      const rtn = roundToNearest(w, grid);
      expect(ours.codes).to.deep.equal(rtn.codes);
      expect(ours.dequantized).to.deep.equal(rtn.dequantized);
    }
  });

  it('does not depend on the scale of H, dead inputs included', () => {
    const { w, h, rows } = withDeadInputs(problem(10, 8, 30, 90), [2, 5]);
    const grid = symmetricGrid(w, rows, 3);
    const scaled = h.map((v) => v * 2 ** -10);
    expect(gptqQuantize(w, scaled, grid).codes).to.deep.equal(gptqQuantize(w, h, grid).codes);
  });

  it('does not depend on the block size beyond rounding noise', () => {
    const { w, h, rows } = problem(6, 12, 70, 200);
    const grid = symmetricGrid(w, rows, 3);
    const [a, b, c] = [1, 9, 128].map((blockSize) => gptqQuantize(w, h, grid, { blockSize }));
    expect(b.codes).to.deep.equal(a.codes);
    expect(c.codes).to.deep.equal(a.codes);
    expect(c.stats.hessianError).to.be.closeTo(a.stats.hessianError, 1e-9 * a.stats.hessianError);
  });

  it('keeps codes in [qmin, qmax] and dequantizes them as (code - zeroPoint) * scale', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 2, max: 8 }), fc.boolean(), fc.boolean(),
      (seed, rows, cols, bits, unsigned, actOrder) => {
        const rng = new Rng(seed);
        const x = correlatedInputs(rng, cols + 3, cols);
        const w = normalWeights(rng, rows, cols);
        // Deliberately tight scales so that propagated errors push past the range.
        const grid: QuantGrid = {
          scale: Float64Array.from({ length: rows }, () => rng.uniform(0, 0.05)),
          zeroPoint: Float64Array.from({ length: rows }, () => (unsigned ? 2 ** (bits - 1) : 0) + rng.int(3) - 1),
          qmin: unsigned ? 0 : -(2 ** (bits - 1)),
          qmax: unsigned ? 2 ** bits - 1 : 2 ** (bits - 1) - 1,
        };
        const { codes, dequantized } = gptqQuantize(w, gram(x, cols + 3, cols), grid, { actOrder, blockSize: 4 });
        for (let k = 0; k < codes.length; k++) {
          const r = Math.floor(k / cols);
          expect(codes[k]).to.be.within(grid.qmin, grid.qmax);
          expect(dequantized[k]).to.equal((codes[k] - grid.zeroPoint[r]) * grid.scale[r]);
        }
      },
    ), { numRuns: 200 });
  });

  it('rounds dead inputs (H_ii = 0) as zero weights and keeps improving on the live ones', () => {
    const deadColumns = [0, 13, 14, 59];
    const { w, x, h, rows, cols, samples } = withDeadInputs(problem(7, 16, 60, 300), deadColumns);
    const grid = symmetricGrid(w, rows, 3);
    const result = gptqQuantize(w, h, grid, { actOrder: true });
    expect(result.stats.deadColumns).to.equal(deadColumns.length);
    expect(result.stats.dampingIncreases).to.equal(0);
    for (let r = 0; r < rows; r++) for (const c of deadColumns) expect(result.dequantized[r * cols + c]).to.equal(0);
    expect(result.dequantized.every(Number.isFinite)).to.equal(true);
    const rtn = outputError(w, roundToNearest(w, grid).dequantized, x, rows, cols, samples);
    expect(outputError(w, result.dequantized, x, rows, cols, samples)).to.be.below(0.8 * rtn);
  });

  it('raises the damping until an indefinite H factors, and says so', () => {
    const rng = new Rng(8);
    const rows = 4, cols = 2;
    const w = normalWeights(rng, rows, cols);
    // Eigenvalues 3 and -1: needs lambda > 1, i.e. dampPercent 10 on mean diag 1.
    const h = Float64Array.from([1, 2, 2, 1]);
    const { codes, stats } = gptqQuantize(w, h, symmetricGrid(w, rows, 4));
    expect(stats.fellBackToNearest).to.equal(false);
    expect(stats.dampingIncreases).to.equal(3);
    expect(stats.dampPercentUsed).to.be.closeTo(10, 1e-12);
    expect(codes.every((c) => c >= -8 && c <= 7)).to.equal(true);
  });

  it('falls back to round-to-nearest, without throwing, when H holds NaN', () => {
    const { w, h, rows } = problem(9, 5, 12, 40);
    h[3 * 12 + 7] = h[7 * 12 + 3] = NaN;
    const grid = symmetricGrid(w, rows, 4);
    const result = gptqQuantize(w, h, grid);
    expect(result.stats.fellBackToNearest).to.equal(true);
    expect(result.codes).to.deep.equal(roundToNearest(w, grid).codes);
  });

  it('with act-order reaches an equal or lower error on average', () => {
    let plain = 0, ordered = 0;
    for (let seed = 20; seed < 30; seed++) {
      const { w, x, h, rows, cols, samples } = problem(seed, 16, 64, 256);
      const grid = symmetricGrid(w, rows, 3);
      plain += outputError(w, gptqQuantize(w, h, grid).dequantized, x, rows, cols, samples);
      ordered += outputError(w, gptqQuantize(w, h, grid, { actOrder: true }).dequantized, x, rows, cols, samples);
    }
    expect(ordered).to.be.at.most(plain);
  });
});
