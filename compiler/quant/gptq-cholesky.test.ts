import { expect } from 'chai';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { Rng } from '../../runtime/generators/rng.ts';
import { choleskyLowerInPlace } from './gptq-cholesky.ts';
import { sharedFloat64Array } from './gptq-gemm-pool.ts';

// X^T X + I for a random X with more rows than columns.
function positiveDefinite(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const rows = n + 5;
  const x = Float64Array.from({ length: rows * n }, () => rng.normal());
  const a = sharedFloat64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 1 : 0;
      for (let r = 0; r < rows; r++) s += x[r * n + i] * x[r * n + j];
      a[i * n + j] = s;
    }
  }
  return a;
}

// The factor only ever reads the lower triangle: NaN above it proves that.
function lowerOnly(a: Float64Array, n: number): Float64Array {
  const copy = a.slice();
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) copy[i * n + j] = NaN;
  return copy;
}

describe('choleskyLowerInPlace', () => {
  it('factors A = L L^T across panel boundaries, reading only the lower triangle', () => {
    for (const n of [1, 3, 63, 64, 65, 200]) {
      const a = positiveDefinite(n, n);
      const l = lowerOnly(a, n);
      expect(choleskyLowerInPlace(l, n)).to.equal(true);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let k = 0; k <= j; k++) s += l[i * n + k] * l[j * n + k];
          expect(s).to.be.closeTo(a[i * n + j], 1e-10 * a[i * n + i]);
        }
        for (let j = i + 1; j < n; j++) expect(l[i * n + j]).to.be.NaN;
      }
    }
  });

  it('agrees with ml-matrix', () => {
    const n = 40;
    const a = positiveDefinite(n, 7);
    const reference = new CholeskyDecomposition(new Matrix(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n))))).lowerTriangularMatrix;
    const l = a.slice();
    choleskyLowerInPlace(l, n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) expect(l[i * n + j]).to.be.closeTo(reference.get(i, j), 1e-9);
  });

  it('reports failure on indefinite, singular and NaN matrices', () => {
    expect(choleskyLowerInPlace(Float64Array.from([1, 2, 2, 1]), 2)).to.equal(false);
    expect(choleskyLowerInPlace(Float64Array.from([2, 2, 2, 2]), 2)).to.equal(false);
    const a = positiveDefinite(80, 3);
    a[70 * 80 + 5] = NaN;
    expect(choleskyLowerInPlace(a, 80)).to.equal(false);
  });
});
