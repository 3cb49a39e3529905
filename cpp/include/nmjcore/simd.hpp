// Runtime choice of vector width for the innermost loops.
//
// The extension is built for the baseline x86-64 ISA (SSE2) so one wheel runs everywhere;
// the loops that carry a kernel's time are compiled a second time for AVX2 and the loader
// picks the clone the CPU supports (GCC/Clang function multi-versioning, resolved once).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__APPLE__) && \
    (!defined(__clang__) || __clang_major__ >= 14)
#define NMJCORE_SIMD_CLONES __attribute__((target_clones("arch=skylake-avx512", "avx2", "default")))
// Loops whose body differs by ISA (fused multiply-add) get one overload per target.
#define NMJCORE_MULTIVERSION 1
#define NMJCORE_TARGET(isa) __attribute__((target(isa)))
// Defines `void name params` as impl<false> args (baseline) and impl<true> args (targets with
// FMA); impl must be always_inline so it is compiled for each target.
#define NMJCORE_FMA_VERSIONS(name, impl, params, args)                        \
  NMJCORE_TARGET("default") inline void name params { impl<false> args; }     \
  NMJCORE_TARGET("avx2,fma") inline void name params { impl<true> args; }     \
  NMJCORE_TARGET("avx512f,avx512bw,avx2,fma") inline void name params { impl<true> args; }
#else
#define NMJCORE_SIMD_CLONES
#define NMJCORE_MULTIVERSION 0
#define NMJCORE_FMA_VERSIONS(name, impl, params, args) \
  inline void name params { impl<false> args; }
#endif
