// two classical baselines, written out plainly so an example can say what a network must reach:
// ordinary least squares (linear regression with an intercept, by the normal equations) and the
// nearest centroid classifier (each class's mean row; a row goes to the nearest mean)

// rows: number[][]; returns the weights [intercept, w1, …] minimising Σ(y − Xw)²
export function leastSquares(rows, y) {
  const d = rows[0].length + 1;
  // XᵀX and Xᵀy with a leading column of ones
  const A = Array.from({ length: d }, () => new Array(d + 1).fill(0));
  rows.forEach((r, i) => {
    const x = [1, ...r];
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) A[a][b] += x[a] * x[b];
      A[a][d] += x[a] * y[i];
    }
  });
  // Gauss-Jordan elimination with partial pivoting
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= d; k++) A[r][k] -= f * A[c][k];
    }
  }
  return A.map((row, c) => row[d] / row[c]);
}

export function predictLinear(w, rows) {
  return rows.map((r) => r.reduce((s, v, j) => s + v * w[j + 1], w[0]));
}

// MSE, MAE and R² of predictions against targets
export function regressionScores(pred, y) {
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  let sq = 0, abs = 0, tot = 0;
  y.forEach((t, i) => {
    sq += (pred[i] - t) ** 2;
    abs += Math.abs(pred[i] - t);
    tot += (t - mean) ** 2;
  });
  return { mse: sq / y.length, mae: abs / y.length, r2: 1 - sq / tot };
}

// the accuracy of the nearest centroid classifier trained on (rows, labels), on (testRows, testLabels)
export function nearestCentroidAccuracy(rows, labels, testRows, testLabels) {
  const classes = [...new Set(labels)];
  const centroids = classes.map((c) => {
    const mine = rows.filter((_, i) => labels[i] === c);
    return mine[0].map((_, j) => mine.reduce((s, r) => s + r[j], 0) / mine.length);
  });
  const dist = (a, b) => a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0);
  let correct = 0;
  testRows.forEach((r, i) => {
    let best = 0;
    centroids.forEach((c, k) => { if (dist(r, c) < dist(r, centroids[best])) best = k; });
    if (classes[best] === testLabels[i]) correct++;
  });
  return correct / testRows.length;
}
