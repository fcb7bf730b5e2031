// Dropout for training on a CPU, its mask made from a counter-based generator (Philox4x32-10, as
// CUDA's torch and JAX use), 16 counters at once in AVX-512 or 8 in AVX2: the same bits either way.
//
// torch's CPU dropout draws its mask one element at a time from one Mersenne twister (bernoulli_
// took 5.5 ms for a [1200, 576] input, 1.1 s of a 3.6 s LoRA step of the 135M model; 210 adapted
// layers each drop their own input). A counter-based generator makes element i's bits from
// (i, seed) alone: any thread makes any span, and the backward makes the forward's mask again
// from the seed instead of keeping it.
//
// Element i of a call takes 32 bits of Philox4x32-10 with key (seed low, seed high) and counter
// (i / 64 * 16 + i % 16, 0, 0, 0) split into (low, high) words as c0, c1: of that counter's four
// outputs, the (i % 64 / 16)-th. It is kept when those bits, unsigned, are at least p * 2^32,
// and then scaled by 1 / (1 - p).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <cmath>
#include <cstdint>

#include "isa.h"

namespace {

constexpr int64_t kGrain = 1 << 14;  // elements per task, a multiple of 64

#ifdef TUNELAB_X86
// Philox4x32-10's multipliers and the Weyl sequence's steps that advance its key each round.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

struct Words {
  __m512i c0, c1, c2, c3;
};

// hi and lo words of a * b for 16 unsigned lanes; b is the same in every lane.
__attribute__((target("avx512f"))) inline void mulhilo(__m512i a, __m512i b, __m512i& hi,
                                                      __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(a, b);  // lanes 0, 2, ...: 64-bit products
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), b);
  const __mmask16 odd_lanes = 0xAAAA;
  hi = _mm512_mask_blend_epi32(odd_lanes, _mm512_srli_epi64(even, 32), odd);
  lo = _mm512_mask_blend_epi32(odd_lanes, even, _mm512_slli_epi64(odd, 32));  // not mullo: slow
}

__attribute__((target("avx512f"))) inline Words philox16(Words c, uint32_t key0, uint32_t key1) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kPhiloxM0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kPhiloxM1));
  for (int round = 0; round < 10; ++round) {
    __m512i hi0, lo0, hi1, lo1;
    mulhilo(c.c0, m0, hi0, lo0);
    mulhilo(c.c2, m1, hi1, lo1);
    const __m512i k0 = _mm512_set1_epi32(static_cast<int>(key0));
    const __m512i k1 = _mm512_set1_epi32(static_cast<int>(key1));
    c = {_mm512_xor_si512(_mm512_xor_si512(hi1, c.c1), k0), lo1,
         _mm512_xor_si512(_mm512_xor_si512(hi0, c.c3), k1), lo0};
    key0 += kPhiloxW0;
    key1 += kPhiloxW1;
  }
  return c;
}

// out[i] = x[i] * scale where element first + i is kept, else 0 (or out[i] += that, when add).
__attribute__((target("avx512f"))) void dropout_span(const float* x, float* out, int64_t first,
                                                    int64_t n, uint32_t threshold, float scale,
                                                    uint64_t seed, bool add) {
  const uint32_t key0 = static_cast<uint32_t>(seed), key1 = static_cast<uint32_t>(seed >> 32);
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i bar = _mm512_set1_epi32(static_cast<int>(threshold));
  const __m512 factor = _mm512_set1_ps(scale);
  const __m512i zero = _mm512_setzero_si512();
  for (int64_t block = 0; block < n; block += 64) {  // first is a multiple of 64
    const uint64_t counter = static_cast<uint64_t>(first + block) / 4;
    const __m512i low = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(counter)), lanes);
    // counter is a multiple of 16: adding a lane never carries into the high word.
    const __m512i high = _mm512_set1_epi32(static_cast<int>(counter >> 32));
    const Words bits = philox16({low, high, zero, zero}, key0, key1);
    const __m512i words[4] = {bits.c0, bits.c1, bits.c2, bits.c3};
    for (int k = 0; k < 4; ++k) {
      const int64_t at = block + 16 * k;
      const __mmask16 m = tunelab::mask_of(n - at);
      if (!m) break;
      const __mmask16 keep = _mm512_mask_cmp_epu32_mask(m, words[k], bar, _MM_CMPINT_NLT);
      const __m512 v = _mm512_maskz_loadu_ps(keep, x + at);
      __m512 y = _mm512_mul_ps(v, factor);
      if (add) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, out + at));
      _mm512_mask_storeu_ps(out + at, m, y);
    }
  }
}

// Philox on counters given as four rows of n words (c0, c1, c2, c3), outputs the same way.
__attribute__((target("avx512f"))) void philox_rows(const int32_t* c, int32_t* o, int64_t n,
                                                   uint32_t key0, uint32_t key1) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tunelab::mask_of(n - i);
    Words w = {_mm512_maskz_loadu_epi32(m, c + i), _mm512_maskz_loadu_epi32(m, c + n + i),
               _mm512_maskz_loadu_epi32(m, c + 2 * n + i),
               _mm512_maskz_loadu_epi32(m, c + 3 * n + i)};
    w = philox16(w, key0, key1);
    _mm512_mask_storeu_epi32(o + i, m, w.c0);
    _mm512_mask_storeu_epi32(o + n + i, m, w.c1);
    _mm512_mask_storeu_epi32(o + 2 * n + i, m, w.c2);
    _mm512_mask_storeu_epi32(o + 3 * n + i, m, w.c3);
  }
}

struct Words8 {
  __m256i c0, c1, c2, c3;
};

__attribute__((target("avx2,fma"))) inline void mulhilo8(__m256i a, __m256i b, __m256i& hi,
                                                         __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(a, b);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), b);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

__attribute__((target("avx2,fma"))) inline Words8 philox8(Words8 c, uint32_t key0, uint32_t key1) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kPhiloxM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kPhiloxM1));
  for (int round = 0; round < 10; ++round) {
    __m256i hi0, lo0, hi1, lo1;
    mulhilo8(c.c0, m0, hi0, lo0);
    mulhilo8(c.c2, m1, hi1, lo1);
    const __m256i k0 = _mm256_set1_epi32(static_cast<int>(key0));
    const __m256i k1 = _mm256_set1_epi32(static_cast<int>(key1));
    c = {_mm256_xor_si256(_mm256_xor_si256(hi1, c.c1), k0), lo1,
         _mm256_xor_si256(_mm256_xor_si256(hi0, c.c3), k1), lo0};
    key0 += kPhiloxW0;
    key1 += kPhiloxW1;
  }
  return c;
}

// dropout_span in 8 lanes: each 64-element block's 16 counters as two halves of 8, element
// block + 16k + j taking word k of counter j, as there.
__attribute__((target("avx2,fma"))) void dropout_span8(const float* x, float* out, int64_t first,
                                                       int64_t n, uint32_t threshold, float scale,
                                                       uint64_t seed, bool add) {
  const uint32_t key0 = static_cast<uint32_t>(seed), key1 = static_cast<uint32_t>(seed >> 32);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i bar = _mm256_set1_epi32(static_cast<int>(threshold));
  const __m256 factor = _mm256_set1_ps(scale);
  const __m256i zero = _mm256_setzero_si256();
  for (int64_t block = 0; block < n; block += 64) {  // first is a multiple of 64
    const uint64_t counter = static_cast<uint64_t>(first + block) / 4;
    const __m256i high = _mm256_set1_epi32(static_cast<int>(counter >> 32));
    Words8 halves[2];
    for (int half = 0; half < 2; ++half) {
      const __m256i low =
          _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(counter + 8 * half)), lanes);
      halves[half] = philox8({low, high, zero, zero}, key0, key1);
    }
    for (int k = 0; k < 4; ++k) {
      for (int half = 0; half < 2; ++half) {
        const int64_t at = block + 16 * k + 8 * half, left = n - at;
        if (left <= 0) break;
        const Words8& h = halves[half];
        const __m256i word = k == 0 ? h.c0 : k == 1 ? h.c1 : k == 2 ? h.c2 : h.c3;
        // unsigned word >= bar, which AVX2 has no comparison for
        const __m256i keep = _mm256_cmpeq_epi32(_mm256_max_epu32(word, bar), word);
        __m256 y = _mm256_mul_ps(_mm256_and_ps(tunelab::load8(x + at, left),
                                               _mm256_castsi256_ps(keep)),
                                 factor);
        if (add) y = _mm256_add_ps(y, tunelab::load8(out + at, left));
        tunelab::store8(out + at, y, left);
      }
    }
  }
}

__attribute__((target("avx2,fma"))) void philox_rows8(const int32_t* c, int32_t* o, int64_t n,
                                                      uint32_t key0, uint32_t key1) {
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tunelab::mask8_of(n - i);
    Words8 w = {_mm256_maskload_epi32(c + i, m), _mm256_maskload_epi32(c + n + i, m),
                _mm256_maskload_epi32(c + 2 * n + i, m),
                _mm256_maskload_epi32(c + 3 * n + i, m)};
    w = philox8(w, key0, key1);
    _mm256_maskstore_epi32(o + i, m, w.c0);
    _mm256_maskstore_epi32(o + n + i, m, w.c1);
    _mm256_maskstore_epi32(o + 2 * n + i, m, w.c2);
    _mm256_maskstore_epi32(o + 3 * n + i, m, w.c3);
  }
}
#endif

void check(const at::Tensor& t, const char* name) {
  TORCH_CHECK(tunelab::has_avx2(), "dropout: this CPU lacks AVX2 and FMA");
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous(),
              "dropout: ", name, " must be a contiguous float32 CPU tensor");
}

uint32_t threshold_of(double p) {
  TORCH_CHECK(p >= 0 && p < 1, "dropout: p must be in [0, 1), got ", p);
  return static_cast<uint32_t>(std::min(std::ldexp(p, 32), 4294967295.0));
}

void run(const at::Tensor& x, at::Tensor& out, double p, int64_t seed, bool add) {
  const uint32_t threshold = threshold_of(p);
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
#ifdef TUNELAB_X86
  const auto span = tunelab::has_avx512() ? dropout_span : dropout_span8;
  at::parallel_for(0, (x.numel() + 63) / 64, kGrain / 64, [&](int64_t begin, int64_t end) {
    const int64_t first = begin * 64, last = std::min(end * 64, x.numel());
    span(in + first, o + first, first, last - first, threshold, scale,
         static_cast<uint64_t>(seed), add);
  });
#endif
}

at::Tensor dropout(const at::Tensor& x, double p, int64_t seed) {
  check(x, "x");
  at::Tensor out = at::empty_like(x);
  run(x, out, p, seed, false);
  return out;
}

// out += dropout(x) with the same mask: the input gradient's share through the dropout.
void dropout_add_(at::Tensor out, const at::Tensor& x, double p, int64_t seed) {
  check(x, "x");
  check(out, "out");
  TORCH_CHECK(out.sizes() == x.sizes(), "dropout: out has another shape than x");
  run(x, out, p, seed, true);
}

// Philox4x32-10 itself on [4, n] int32 counters (c0..c3 a row), for tests against its published
// answers.
at::Tensor philox(const at::Tensor& counters, int64_t key0, int64_t key1) {
  TORCH_CHECK(tunelab::has_avx2(), "philox: this CPU lacks AVX2 and FMA");
  TORCH_CHECK(counters.scalar_type() == at::kInt && counters.dim() == 2 &&
                  counters.size(0) == 4 && counters.is_contiguous(),
              "philox: counters must be a contiguous [4, n] int32 tensor");
  at::Tensor out = at::empty_like(counters);
#ifdef TUNELAB_X86
  (tunelab::has_avx512() ? philox_rows : philox_rows8)(
      counters.data_ptr<int32_t>(), out.data_ptr<int32_t>(), counters.size(1),
      static_cast<uint32_t>(key0), static_cast<uint32_t>(key1));
#endif
  return out;
}

}  // namespace

TORCH_LIBRARY(tunelab_dropout, m) {
  m.def("dropout(Tensor x, float p, int seed) -> Tensor", &dropout);
  m.def("dropout_add_(Tensor(a!) out, Tensor x, float p, int seed) -> ()", &dropout_add_);
  m.def("philox(Tensor counters, int key0, int key1) -> Tensor", &philox);
  m.def("available() -> bool", &tunelab::has_avx2);
}
