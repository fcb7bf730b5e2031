// What tunelab's kernels ask of the CPU, shared by their sources.
#pragma once

#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define TUNELAB_X86 1
#endif

namespace tunelab {

// The widest instruction set a kernel has code for that this CPU runs (each kernel is compiled
// for all of them, whatever the build machine, and picks one per call).
enum Isa : int64_t { kNone = 0, kAvx2 = 1, kAvx512 = 2 };

inline int64_t detect_isa() {
#ifdef TUNELAB_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return kAvx2;
#endif
  return kNone;
}

// Asked once a process: every kernel call picks its code by it (RMSNorm's and SwiGLU's run
// once a layer, forward and back).
inline int64_t best_isa() {
  static const int64_t isa = detect_isa();
  return isa;
}

inline bool has_avx512() { return best_isa() == kAvx512; }

// AVX2 with FMA: every x86-64 CPU since 2013-2015, AVX-512 or not.
inline bool has_avx2() { return best_isa() >= kAvx2; }

#ifdef TUNELAB_X86
// exp16's and exp8's shared arithmetic: x = n ln2 + r, ln2 split in two so n ln2 is exact to
// float32, and e^r's Taylor coefficients from r^7 down, by Horner's rule.
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2High = 0.693359375f, kLn2Low = -2.12194440e-4f;
constexpr int kExpTerms = 8;
constexpr float kExpSeries[kExpTerms] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24,
                                         1.0f / 6,    0.5f,       1.0f,       1.0f};

// exp of 16 floats: 2^n * e^r with |r| <= ln2 / 2, e^r by its Taylor series to r^7 (relative
// error ~1e-8, under float32's rounding). Below -87 the result is 0 (attention's masked
// scores; SiLU's sigmoid of a large input).
__attribute__((target("avx512f"))) inline __m512 exp16(__m512 x) {
  const __m512 low = _mm512_set1_ps(-87.0f);
  const __mmask16 zero = _mm512_cmp_ps_mask(x, low, _CMP_LT_OQ);
  x = _mm512_max_ps(x, low);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2High), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Low), r);
  __m512 p = _mm512_set1_ps(kExpSeries[0]);
  for (int i = 1; i < kExpTerms; ++i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpSeries[i]));
  return _mm512_maskz_scalef_ps(static_cast<__mmask16>(~zero), p, n);
}

inline __mmask16 mask_of(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF)
                 : (n <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << n) - 1));
}

// AVX2 has no mask registers: lanes below n are all ones, the others zero.
__attribute__((target("avx2,fma"))) inline __m256i mask8_of(int64_t n) {
  const int lanes = static_cast<int>(n >= 8 ? 8 : (n <= 0 ? 0 : n));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The first min(n, 8) floats at p, zeros after: a full vector loads plainly (a masked store is
// microcoded on AMD's Zen 2, and a masked load slower than a plain one).
__attribute__((target("avx2,fma"))) inline __m256 load8(const float* p, int64_t n) {
  return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask8_of(n));
}

__attribute__((target("avx2,fma"))) inline void store8(float* p, __m256 v, int64_t n) {
  if (n >= 8) {
    _mm256_storeu_ps(p, v);
  } else {
    _mm256_maskstore_ps(p, mask8_of(n), v);
  }
}

__attribute__((target("avx2,fma"))) inline float sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

__attribute__((target("avx2,fma"))) inline float max8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

// exp of 8 floats, exp16's method; AVX2 has no scalef, so 2^n is built in the exponent's bits,
// with x first held under 88 (2^127 at most) and +inf given above ln(FLT_MAX) as scalef does.
__attribute__((target("avx2,fma"))) inline __m256 exp8(__m256 x) {
  const __m256 low = _mm256_set1_ps(-87.0f);
  const __m256 zero = _mm256_cmp_ps(x, low, _CMP_LT_OQ);
  const __m256 huge = _mm256_cmp_ps(x, _mm256_set1_ps(88.72283f), _CMP_GT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, low), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2High), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Low), r);
  __m256 p = _mm256_set1_ps(kExpSeries[0]);
  for (int i = 1; i < kExpTerms; ++i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kExpSeries[i]));
  const __m256i bits = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
  return _mm256_andnot_ps(zero, _mm256_blendv_ps(e, _mm256_set1_ps(__builtin_inff()), huge));
}
#endif

}  // namespace tunelab
