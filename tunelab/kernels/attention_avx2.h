// attention.cpp's inner functions for CPUs with AVX2 and FMA but no AVX-512 (most laptops, AMD
// before Zen 4): the same products, softmax and gradients in 8 lanes. Included by attention.cpp
// inside its namespace, after Strided and kRows, which lay out the tiles for both.
#pragma once

using tunelab::exp8;
using tunelab::load8;
using tunelab::mask8_of;
using tunelab::store8;

// C[R rows, V * 8 columns at most] (+)= alpha * A[R rows, k in [from, to)] @ B[k, cols]: with R
// at most 4 and V at most 2, 8 of AVX2's 16 registers accumulate, beside B's loads and A's
// broadcast (an 8 x 32 tile in registers, as AVX-512 holds, would need 32).
template <int R, int V>
__attribute__((target("avx2,fma"))) void part8(Strided a, const float* b, int64_t ldb,
                                              int64_t from, int64_t to, float* c, int64_t ldc,
                                              int64_t cols, float alpha, bool add) {
  __m256 sum[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) sum[r][v] = _mm256_setzero_ps();
  for (int64_t i = from; i < to; ++i) {
    const float* brow = b + i * ldb;
    __m256 bv[V];
    for (int v = 0; v < V; ++v) bv[v] = load8(brow + 8 * v, cols - 8 * v);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m256 x = _mm256_broadcast_ss(a.data + r * a.row + i * a.col);
      for (int v = 0; v < V; ++v) sum[r][v] = _mm256_fmadd_ps(x, bv[v], sum[r][v]);
    }
  }
  const __m256 scale = _mm256_set1_ps(alpha);
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) {
      float* out = c + r * ldc + 8 * v;
      __m256 y = _mm256_mul_ps(sum[r][v], scale);
      if (add) y = _mm256_add_ps(y, load8(out, cols - 8 * v));
      store8(out, y, cols - 8 * v);
    }
  }
}

// tile<R>'s counterpart: C[R rows, cols <= 32] as register parts of 4 rows x 16 columns.
template <int R>
void tile8(Strided a, const float* b, int64_t ldb, int64_t from, int64_t to, float* c,
           int64_t ldc, int64_t cols, float alpha, bool add) {
  constexpr int kTop = R < 4 ? R : 4;
  for (int64_t j = 0; j < cols; j += 16) {
    const int64_t n = std::min<int64_t>(16, cols - j);
    auto part = n > 8 ? part8<kTop, 2> : part8<kTop, 1>;
    part(a, b + j, ldb, from, to, c + j, ldc, n, alpha, add);
    if constexpr (R > 4) {
      const Strided below{a.data + 4 * a.row, a.row, a.col};
      auto rest = n > 8 ? part8<R - 4, 2> : part8<R - 4, 1>;
      rest(below, b + j, ldb, from, to, c + 4 * ldc + j, ldc, n, alpha, add);
    }
  }
}

// softmax_rows' counterpart. Each row's lanes from j = i + 1 to its tile's width are written as
// zeros by the vectors themselves: a full vector stores plainly where a masked store is
// microcoded (on Zen 2), and the width is where the vectors end.
__attribute__((target("avx2,fma"))) void softmax_rows8(float* s, int64_t L, float* lse,
                                                      bool find) {
  const __m256 minus_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < L; ++i) {
    float* row = s + i * L;
    const int64_t n = i + 1, width = std::min<int64_t>(L, (i / kRows + 1) * kRows);
    if (!find) {
      const __m256 sub = _mm256_set1_ps(lse[i]);
      for (int64_t j = 0; j < n; j += 8) {
        const __m256 in = _mm256_castsi256_ps(mask8_of(n - j));
        const __m256 e = exp8(_mm256_sub_ps(load8(row + j, n - j), sub));
        store8(row + j, _mm256_and_ps(e, in), width - j);
      }
      continue;
    }
    // load8 fills lanes past n with zeros, which would be the maximum of negative scores.
    __m256 best = minus_inf;
    for (int64_t j = 0; j < n; j += 8) {
      const __m256 in = _mm256_castsi256_ps(mask8_of(n - j));
      best = _mm256_max_ps(best, _mm256_blendv_ps(minus_inf, load8(row + j, n - j), in));
    }
    const float top = tunelab::max8(best);
    const __m256 shift = _mm256_set1_ps(top);
    __m256 total = _mm256_setzero_ps();
    for (int64_t j = 0; j < n; j += 8) {
      const __m256 in = _mm256_castsi256_ps(mask8_of(n - j));
      const __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(load8(row + j, n - j), shift)), in);
      total = _mm256_add_ps(total, e);
      store8(row + j, e, width - j);
    }
    const float sum = tunelab::sum8(total);
    lse[i] = top + std::log(sum);
    const __m256 inverse = _mm256_set1_ps(1.0f / sum);
    for (int64_t j = 0; j < n; j += 8)
      store8(row + j, _mm256_mul_ps(load8(row + j, width - j), inverse), width - j);
  }
}

// row_dots' counterpart: out[i] = a_i . b_i for `rows` rows of `n` floats, `ld` apart.
__attribute__((target("avx2,fma"))) void row_dots8(const float* a, const float* b, int64_t ld,
                                                  int64_t rows, int64_t n, float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    __m256 sum = _mm256_setzero_ps();
    for (int64_t d = 0; d < n; d += 8)
      sum = _mm256_fmadd_ps(load8(a + i * ld + d, n - d), load8(b + i * ld + d, n - d), sum);
    out[i] = tunelab::sum8(sum);
  }
}

// softmax_gradient's counterpart: ds = p * (ds - delta_i) over each row's tile width.
__attribute__((target("avx2,fma"))) void softmax_gradient8(const float* p, float* ds,
                                                          const float* delta, int64_t L) {
  for (int64_t i = 0; i < L; ++i) {
    const int64_t width = std::min<int64_t>(L, (i / kRows + 1) * kRows);
    const __m256 d = _mm256_set1_ps(delta[i]);
    for (int64_t j = 0; j < width; j += 8) {
      const __m256 x = load8(ds + i * L + j, width - j);
      store8(ds + i * L + j, _mm256_mul_ps(load8(p + i * L + j, width - j), _mm256_sub_ps(x, d)),
             width - j);
    }
  }
}
