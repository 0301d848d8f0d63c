// C = alpha·op(A)·op(B) + beta·C, row-major, transposes as flags straight into BLAS; a product with a
// narrow side (the book net's, an evaluation chunk's, a conv net's dense layers) in two halves, one per
// core (threads.h: HalvesFor says which, and why); one with a single row or column as BLAS's gemv
#include <algorithm>
#include <sstream>

#include "args.h"
#include "ops.h"
#include "threads.h"
#include "blas.h"
#include "two_cores.h"

namespace blasprop {

namespace {

constexpr const char* kFn = "gemm";
constexpr const char* kSignature = "(A, aRows, aCols, transA, B, bRows, bCols, transB, C, alpha, beta)";

std::string Shape(const char* name, bool trans, size_t rows, size_t cols) {
  std::ostringstream s;
  // show op(X): what the product actually multiplies
  if (trans) s << name << "ᵀ is " << cols << "×" << rows;
  else s << name << " is " << rows << "×" << cols;
  return s.str();
}

// k == 0 means op(A)·op(B) is all zeros: only the beta scaling of C is left
template <typename T>
void ScaleOnly(T* c, size_t n, T beta) {
  for (size_t i = 0; i < n; i++) c[i] = beta == T(0) ? T(0) : beta * c[i];
}

}  // namespace

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 11, kFn, kSignature);
  FloatView A = FloatArg(info, 0, kFn, "A");
  size_t aRows = DimArg(info, 1, kFn, "aRows");
  size_t aCols = DimArg(info, 2, kFn, "aCols");
  bool transA = BoolArg(info, 3, kFn, "transA");
  FloatView B = FloatArg(info, 4, kFn, "B");
  size_t bRows = DimArg(info, 5, kFn, "bRows");
  size_t bCols = DimArg(info, 6, kFn, "bCols");
  bool transB = BoolArg(info, 7, kFn, "transB");
  FloatView C = FloatArg(info, 8, kFn, "C");
  double alpha = NumberArg(info, 9, kFn, "alpha");
  double beta = NumberArg(info, 10, kFn, "beta");
  CheckSameDType(env, kFn, A, B);
  CheckSameDType(env, kFn, A, C);
  CheckLength(env, kFn, A, aRows, aCols);
  CheckLength(env, kFn, B, bRows, bCols);
  size_t m = transA ? aCols : aRows;
  size_t k = transA ? aRows : aCols;
  size_t kb = transB ? bCols : bRows;
  size_t n = transB ? bRows : bCols;
  if (k != kb) {
    throw Napi::RangeError::New(env, std::string(kFn) + ": inner dimensions must match (" +
                                         Shape("A", transA, aRows, aCols) + ", " +
                                         Shape("B", transB, bRows, bCols) + ")");
  }
  CheckLength(env, kFn, C, m, n);
  CheckNoOverlap(env, kFn, C, A);
  CheckNoOverlap(env, kFn, C, B);

  if (m == 0 || n == 0) return env.Undefined();
  // BLAS wants leading dimensions of at least 1 even for empty matrices
  auto lda = static_cast<blasint>(aCols > 0 ? aCols : 1);
  auto ldb = static_cast<blasint>(bCols > 0 ? bCols : 1);
  auto ldc = static_cast<blasint>(n);
  CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  // one row (a one-row predict) or one column: a matrix-vector product, which gemv computes reading the
  // matrix once where gemm packs it first (1×784·784×1024 in float32: 94 → 46 µs). on one thread, so
  // its bits never depend on the setting; its sums run in another order than gemm's blocks, so such a
  // row differs in the last bits from the same row inside a larger batch
  const bool vector = k > 0 && (m == 1 || n == 1);
  const size_t split = k == 0 || vector ? 0 : HalvesFor(m, n, k);
  // a halved product is two single-threaded calls, like a small one
  if (vector || split != 0) UseOneThread();
  else UseThreadsFor(m, n, k);
  ForDType(A.dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* a = A.as<const T>();
    const T* b = B.as<const T>();
    T* c = C.as<T>();
    // rows [i0, i1) of C (byRows), else its columns [i0, i1): the matching rows of op(A) or columns of op(B)
    auto part = [&](bool byRows, size_t i0, size_t i1) {
      if (byRows) {
        BlasGemm(ta, tb, static_cast<blasint>(i1 - i0), static_cast<blasint>(n), static_cast<blasint>(k), static_cast<T>(alpha),
                 transA ? a + i0 : a + i0 * aCols, lda, b, ldb, static_cast<T>(beta), c + i0 * n, ldc);
      } else {
        BlasGemm(ta, tb, static_cast<blasint>(m), static_cast<blasint>(i1 - i0), static_cast<blasint>(k), static_cast<T>(alpha),
                 a, lda, transB ? b + i0 * bCols : b + i0, ldb, static_cast<T>(beta), c + i0, ldc);
      }
    };
    if (k == 0) {
      ScaleOnly(c, m * n, static_cast<T>(beta));
    } else if (vector) {
      // beta = 0 means C is not read (as gemm): NaN left in it from before must not survive a 0 scaling
      if (beta == 0) std::fill(c, c + m * n, T(0));
      if (m == 1) {
        // Cᵀ = op(B)ᵀ·op(A)ᵀ, where op(A), one row of k, is contiguous whether transposed or not
        BlasGemv(transB ? CblasNoTrans : CblasTrans, static_cast<blasint>(bRows), static_cast<blasint>(bCols),
                 static_cast<T>(alpha), b, ldb, a, static_cast<T>(beta), c);
      } else {
        // C = op(A)·op(B), where op(B), one column of k, is contiguous whether transposed or not
        BlasGemv(ta, static_cast<blasint>(aRows), static_cast<blasint>(aCols), static_cast<T>(alpha), a, lda, b,
                 static_cast<T>(beta), c);
      }
    } else if (split == 0) {
      part(true, 0, m);
    } else {
      // the same two halves whatever the thread setting (each an OpenBLAS call on one thread), so the
      // bits never depend on it: one per core when this thread may use two, else one after the other
      const bool byRows = m >= n;
      const size_t ends[3] = {0, split, byRows ? m : n};
      ForRowsOnTwoCores(2, kSplitElements, [&](size_t p0, size_t p1) {
        for (size_t p = p0; p < p1; p++) part(byRows, ends[p], ends[p + 1]);
      });
    }
  });
  return env.Undefined();
}

}  // namespace blasprop
