// one name for sgemm and dgemm, sgemv and dgemv (row-major), so an op calling BLAS is written once for
// both dtypes
#pragma once

#include <cblas.h>

namespace blasprop {

inline void BlasGemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, float alpha, const float* a,
                     blasint lda, const float* b, blasint ldb, float beta, float* c, blasint ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void BlasGemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, double alpha, const double* a,
                     blasint lda, const double* b, blasint ldb, double beta, double* c, blasint ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// y = alpha·op(A)·x + beta·y, A rows×cols with leading dimension lda, x and y contiguous
inline void BlasGemv(CBLAS_TRANSPOSE ta, blasint rows, blasint cols, float alpha, const float* a, blasint lda, const float* x,
                     float beta, float* y) {
  cblas_sgemv(CblasRowMajor, ta, rows, cols, alpha, a, lda, x, 1, beta, y, 1);
}
inline void BlasGemv(CBLAS_TRANSPOSE ta, blasint rows, blasint cols, double alpha, const double* a, blasint lda, const double* x,
                     double beta, double* y) {
  cblas_dgemv(CblasRowMajor, ta, rows, cols, alpha, a, lda, x, 1, beta, y, 1);
}

}  // namespace blasprop
