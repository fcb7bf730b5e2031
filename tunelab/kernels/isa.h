// What tunelab's kernels ask of the CPU, shared by their sources.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define TUNELAB_X86 1
#endif

namespace tunelab {

// Whether this CPU runs AVX-512 (the kernels are compiled for it whatever the build machine).
inline bool has_avx512() {
#ifdef TUNELAB_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

}  // namespace tunelab
