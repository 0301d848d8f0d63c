// the float32 optimizer updates run with subnormals flushed to zero, as torch.set_flush_denormal(True)
// makes PyTorch run. momentum's and Adam's state decays through the subnormal range (|x| < 2^-126)
// wherever a gradient is often zero (dead ReLU units, MNIST's blank border pixels: a tenth of a
// 784-100-50-10 net's Adam state after 1000 steps), and x86 multiplies, divides and takes square
// roots of subnormals through a microcode assist ~100× slower: unflushed, that net's float32 Adam
// step took 4–6× as long. with the
// CPU's flush modes (x86 FTZ and DAZ, arm64 FZ) a subnormal input counts as zero and a result that is
// still tiny after rounding to float32 becomes zero, keeping its sign; flushFloat32 in
// src/kernels/flush.ts is the same rule for the reference backend. float64 arithmetic never runs in it
#pragma once

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <xmmintrin.h>
#endif
#include <cstdint>
#include <type_traits>

namespace blasprop {

// while one made with on = true is alive, this thread's arithmetic flushes subnormals; the old mode
// comes back after
class FlushSubnormals {
 public:
  explicit FlushSubnormals(bool on) : on_(on) {
    if (!on_) return;
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
    // MXCSR bit 15 is FTZ, bit 6 DAZ
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040u);
#elif defined(__aarch64__)
    // FPCR bit 24 is FZ (inputs and results)
    uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    saved_ = fpcr;
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr | (uint64_t{1} << 24)));
#endif
  }
  ~FlushSubnormals() {
    if (!on_) return;
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
    _mm_setcsr(static_cast<unsigned int>(saved_));
#elif defined(__aarch64__)
    __asm__ __volatile__("msr fpcr, %0" : : "r"(saved_));
#endif
  }
  FlushSubnormals(const FlushSubnormals&) = delete;
  FlushSubnormals& operator=(const FlushSubnormals&) = delete;

 private:
  bool on_;
  uint64_t saved_ = 0;
};

}  // namespace blasprop
