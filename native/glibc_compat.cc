// the linux prebuilds must load on glibc 2.28 (Node 20's own baseline), but they are linked on Debian 12
// (glibc 2.36), whose libc gives a few functions newer default versions: pthread_create/join/detach/
// once/setaffinity moved into libc in 2.34 (detach: the two-core helper thread, native/two_cores.cc),
// pthread_getaffinity_np in 2.32, exp got a faster variant in 2.29.
// Debian's static OpenBLAS and the static libstdc++ (linked in because RHEL 8's is too old) call them,
// and libstdc++ also reads __libc_single_threaded (new in 2.32), so the linker would bind those new
// versions and the addon would refuse to load on Debian 11, Ubuntu 20.04, RHEL 8. There is no older sysroot to link against here
// (Debian 10's archive is gone), so instead the link wraps exactly these names (-Wl,--wrap=NAME, set by
// scripts/openblas.cjs) and the wrappers below call the OLD version of each, pinned with .symver.
// The old versions are the same code: in glibc ≥ 2.34 pthread_create@GLIBC_2.2.5 and @GLIBC_2.34 are one
// function at one address (likewise the affinity calls); exp@GLIBC_2.2.5 is exp with glibc's old errno
// wrapper around it, the same values. __libc_single_threaded is answered with 0 ("there may be other
// threads"), which makes libstdc++ always take its atomic path: correct everywhere, and Node has threads. test/slow/glibc.test.ts lists the versions the prebuild needs.
#if defined(__linux__)
#include <math.h>
#include <pthread.h>
#include <sched.h>
#endif

// __GLIBC__ comes from the headers above: musl and other systems compile nothing here
#if defined(__linux__) && defined(__GLIBC__)

// each architecture's oldest version of these symbols (aarch64's glibc starts at 2.17)
#if defined(__x86_64__)
#define BLASPROP_GLIBC_BASE "GLIBC_2.2.5"
#define BLASPROP_GLIBC_AFFINITY "GLIBC_2.3.4"
#elif defined(__aarch64__)
#define BLASPROP_GLIBC_BASE "GLIBC_2.17"
#define BLASPROP_GLIBC_AFFINITY "GLIBC_2.17"
#endif

extern "C" {

#ifdef BLASPROP_GLIBC_BASE
// references to these local names become references to the pinned old versions
int blasprop_old_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int blasprop_old_pthread_join(pthread_t, void**);
int blasprop_old_pthread_detach(pthread_t);
int blasprop_old_pthread_once(pthread_once_t*, void (*)(void));
int blasprop_old_pthread_setaffinity_np(pthread_t, size_t, const cpu_set_t*);
int blasprop_old_pthread_getaffinity_np(pthread_t, size_t, cpu_set_t*);
double blasprop_old_exp(double);
__asm__(".symver blasprop_old_pthread_create, pthread_create@" BLASPROP_GLIBC_BASE);
__asm__(".symver blasprop_old_pthread_join, pthread_join@" BLASPROP_GLIBC_BASE);
__asm__(".symver blasprop_old_pthread_detach, pthread_detach@" BLASPROP_GLIBC_BASE);
__asm__(".symver blasprop_old_pthread_once, pthread_once@" BLASPROP_GLIBC_BASE);
__asm__(".symver blasprop_old_pthread_setaffinity_np, pthread_setaffinity_np@" BLASPROP_GLIBC_AFFINITY);
__asm__(".symver blasprop_old_pthread_getaffinity_np, pthread_getaffinity_np@" BLASPROP_GLIBC_AFFINITY);
__asm__(".symver blasprop_old_exp, exp@" BLASPROP_GLIBC_BASE);
#else
// another architecture: nothing to pin, the wrappers pass straight through
#define blasprop_old_pthread_create __real_pthread_create
#define blasprop_old_pthread_join __real_pthread_join
#define blasprop_old_pthread_detach __real_pthread_detach
#define blasprop_old_pthread_once __real_pthread_once
#define blasprop_old_pthread_setaffinity_np __real_pthread_setaffinity_np
#define blasprop_old_pthread_getaffinity_np __real_pthread_getaffinity_np
#define blasprop_old_exp __real_exp
int __real_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int __real_pthread_join(pthread_t, void**);
int __real_pthread_detach(pthread_t);
int __real_pthread_once(pthread_once_t*, void (*)(void));
int __real_pthread_setaffinity_np(pthread_t, size_t, const cpu_set_t*);
int __real_pthread_getaffinity_np(pthread_t, size_t, cpu_set_t*);
double __real_exp(double);
#endif

int __wrap_pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  return blasprop_old_pthread_create(thread, attr, start, arg);
}
int __wrap_pthread_join(pthread_t thread, void** result) { return blasprop_old_pthread_join(thread, result); }
int __wrap_pthread_detach(pthread_t thread) { return blasprop_old_pthread_detach(thread); }
int __wrap_pthread_once(pthread_once_t* once, void (*init)(void)) { return blasprop_old_pthread_once(once, init); }
int __wrap_pthread_setaffinity_np(pthread_t thread, size_t size, const cpu_set_t* set) {
  return blasprop_old_pthread_setaffinity_np(thread, size, set);
}
int __wrap_pthread_getaffinity_np(pthread_t thread, size_t size, cpu_set_t* set) {
  return blasprop_old_pthread_getaffinity_np(thread, size, set);
}
double __wrap_exp(double x) { return blasprop_old_exp(x); }
char __wrap___libc_single_threaded = 0;

}  // extern "C"
#endif
