// The one dense kernel behind GPTQ's O(n^3) and O(rows * n^2) work:
// C += alpha * A * B^T, with A and B row-major so that every entry of C is a
// dot product of two unit-stride rows. It serves three callers: the Hessian
// (sum of x x^T over samples, a symmetric rank-k update), the trailing update
// of the blocked Cholesky (also symmetric), and GPTQ's lazy batch update of
// the not-yet-quantized columns (a general product).
//
// ml-matrix's mmul runs at ~0.5 G multiply-adds per second on this machine,
// this kernel at ~2.3 (one thread): a 4x4 block of C is kept in sixteen
// locals, so each step of the inner loop does 8 loads for 16 multiply-adds.
// (3x3 and 4x2 blocks measured the same; scalar JS has no more to give.)

export interface ABtUpdate {
  /** m x depth, row-major, contiguous. */
  a: Float64Array;
  /** n x depth, row-major, contiguous. */
  b: Float64Array;
  m: number;
  n: number;
  depth: number;
  /** Receives C[i, j] at c[cOffset + i * ldc + j]. */
  c: Float64Array;
  cOffset: number;
  ldc: number;
  alpha: number;
  /**
   * Update only entries with j <= i. For the symmetric products (A === B,
   * m === n) whose callers store one triangle: it halves the work.
   */
  lowerOnly: boolean;
}

export function addABt(u: ABtUpdate): void {
  const { a, b, m, n, depth, c, cOffset, ldc, alpha, lowerOnly } = u;
  if (lowerOnly && m !== n) throw new Error(`addABt: lowerOnly needs a square product, got ${m} x ${n}`);
  const mTiled = m - (m % 4);
  const nTiled = n - (n % 4);
  const tile = new Float64Array(16);
  for (let i = 0; i < mTiled; i += 4) {
    // With lowerOnly the diagonal tile is the band's last: nothing remains
    // for the scalar loop.
    const jTiledEnd = lowerOnly ? i + 4 : nTiled;
    const jEnd = lowerOnly ? jTiledEnd : n;
    for (let j = 0; j < jTiledEnd; j += 4) {
      multiplyTile(a, b, i * depth, j * depth, depth, tile);
      for (let r = 0; r < 4; r++) {
        const row = cOffset + (i + r) * ldc + j;
        for (let s = 0; s < 4; s++) {
          if (!lowerOnly || j + s <= i + r) c[row + s] += alpha * tile[r * 4 + s];
        }
      }
    }
    for (let r = 0; r < 4; r++) {
      for (let j = jTiledEnd; j < jEnd; j++) {
        c[cOffset + (i + r) * ldc + j] += alpha * dot(a, (i + r) * depth, b, j * depth, depth);
      }
    }
  }
  for (let i = mTiled; i < m; i++) {
    const jEnd = lowerOnly ? i + 1 : n;
    for (let j = 0; j < jEnd; j++) c[cOffset + i * ldc + j] += alpha * dot(a, i * depth, b, j * depth, depth);
  }
}

/** Dot product of x[xOffset ..+length] and y[yOffset ..+length]. */
export function dot(x: Float64Array, xOffset: number, y: Float64Array, yOffset: number, length: number): number {
  let s0 = 0, s1 = 0;
  let k = 0;
  for (; k + 1 < length; k += 2) {
    s0 += x[xOffset + k] * y[yOffset + k];
    s1 += x[xOffset + k + 1] * y[yOffset + k + 1];
  }
  if (k < length) s0 += x[xOffset + k] * y[yOffset + k];
  return s0 + s1;
}

// tile[r * 4 + s] = dot(A row i + r, B row j + s) for r, s in 0..3.
function multiplyTile(a: Float64Array, b: Float64Array, aBase: number, bBase: number, depth: number, tile: Float64Array): void {
  const a0 = aBase, a1 = a0 + depth, a2 = a1 + depth, a3 = a2 + depth;
  const b0 = bBase, b1 = b0 + depth, b2 = b1 + depth, b3 = b2 + depth;
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let k = 0; k < depth; k++) {
    const y0 = b[b0 + k], y1 = b[b1 + k], y2 = b[b2 + k], y3 = b[b3 + k];
    let x = a[a0 + k];
    s00 += x * y0; s01 += x * y1; s02 += x * y2; s03 += x * y3;
    x = a[a1 + k];
    s10 += x * y0; s11 += x * y1; s12 += x * y2; s13 += x * y3;
    x = a[a2 + k];
    s20 += x * y0; s21 += x * y1; s22 += x * y2; s23 += x * y3;
    x = a[a3 + k];
    s30 += x * y0; s31 += x * y1; s32 += x * y2; s33 += x * y3;
  }
  tile[0] = s00; tile[1] = s01; tile[2] = s02; tile[3] = s03;
  tile[4] = s10; tile[5] = s11; tile[6] = s12; tile[7] = s13;
  tile[8] = s20; tile[9] = s21; tile[10] = s22; tile[11] = s23;
  tile[12] = s30; tile[13] = s31; tile[14] = s32; tile[15] = s33;
}
