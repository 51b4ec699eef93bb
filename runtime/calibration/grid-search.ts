// Minimises a function over a box by repeated grid search: evaluate an evenly
// spaced grid, then shrink the box to the grid cells around the best point.
// Robust to the small ripples an expected-error curve has (the affine zero
// point snaps to integers), unlike a descent, and needs no derivatives.

export type Box = ReadonlyArray<readonly [number, number]>;

export function coarseToFineMinimum(f: (point: number[]) => number, box: Box, pointsPerAxis: number, rounds: number): number[] {
  let bounds = box.map(([lo, hi]) => [lo, hi] as [number, number]);
  let best = bounds.map(([lo]) => lo);
  for (let round = 0; round < rounds; round++) {
    const axes = bounds.map(([lo, hi]) => (hi > lo ? evenlySpaced(lo, hi, pointsPerAxis) : [lo]));
    let bestValue = Infinity;
    let bestIndex = axes.map(() => 0);
    for (const index of gridIndices(axes.map((axis) => axis.length))) {
      const point = index.map((i, axis) => axes[axis][i]);
      const value = f(point);
      if (value < bestValue) {
        bestValue = value;
        bestIndex = index;
        best = point;
      }
    }
    bounds = axes.map((axis, a) => [axis[Math.max(bestIndex[a] - 1, 0)], axis[Math.min(bestIndex[a] + 1, axis.length - 1)]]);
  }
  return best;
}

function evenlySpaced(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
}

function* gridIndices(sizes: number[]): Generator<number[]> {
  const index = sizes.map(() => 0);
  for (;;) {
    yield [...index];
    let axis = 0;
    while (axis < sizes.length && ++index[axis] === sizes[axis]) index[axis++] = 0;
    if (axis === sizes.length) return;
  }
}
