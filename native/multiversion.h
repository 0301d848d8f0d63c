// BLASPROP_CLONES before an element-wise kernel compiles it twice on x86-64 Linux with GCC, for
// baseline x86-64 (SSE2, what the binary must run on) and for AVX2, and the loader picks the best the
// CPU has once (an ifunc): twice the lanes per instruction where the loop vectorises. the same IEEE
// operations either way (no fused multiply-add: -ffp-contract=off), so the same bits on every CPU.
// elsewhere (arm64, macOS, Windows, clang) the one plain version
#pragma once

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define BLASPROP_CLONES __attribute__((target_clones("default", "avx2")))
#else
#define BLASPROP_CLONES
#endif
