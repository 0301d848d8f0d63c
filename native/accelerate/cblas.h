// macOS: Apple's Accelerate framework provides the CBLAS functions (cblas_sgemm, cblas_saxpy, …); this
// header stands in for OpenBLAS's cblas.h, so the sources compile unchanged (scripts/openblas.cjs puts
// this folder on the include path on macOS). The OpenBLAS extras they call get Accelerate's answers:
// Accelerate runs its own thread pool, which an application cannot size, so setting threads does nothing.
#ifndef BLASPROP_ACCELERATE_CBLAS_H
#define BLASPROP_ACCELERATE_CBLAS_H

#include <Accelerate/Accelerate.h>
#include <unistd.h>

typedef int blasint;

static inline void openblas_set_num_threads(int /*threads*/) {}
static inline int openblas_get_num_threads(void) { return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)); }
static inline char* openblas_get_config(void) { return const_cast<char*>("Apple Accelerate (its own thread pool)"); }
static inline char* openblas_get_corename(void) { return const_cast<char*>("Apple"); }
// OpenBLAS's code for a pthreads build: Accelerate is threaded
static inline int openblas_get_parallel(void) { return 1; }

#endif
