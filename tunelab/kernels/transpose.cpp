// A float32 matrix's transpose into fresh memory, 16 x 16 blocks at a time in AVX-512 registers.
//
// A weight gradient, grad.T @ x, needs the output gradient's rows transposed: oneDNN copies them
// contiguous first, and torch's copy of a transposed [768, 1536] took 1.2-2.3 ms on the project's
// CPU where this takes 0.16 (0.06 against 0.41 at [768, 576]); in a training step under the
// profiler those copies were ~0.5 s of ~5 (benchmarks/README.md, "Training throughput").
// Rows and columns past the last whole block go one by one.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>

#include "isa.h"

namespace {

#ifdef TUNELAB_X86
// dst[16 x 16] = src[16 x 16] transposed: unpacks of pairs, of quads, then 128-bit lanes.
__attribute__((target("avx512f"))) inline void block16(const float* src, int64_t ld_src, float* dst,
                                                      int64_t ld_dst) {
  __m512 r[16], t[16], u[16], v[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ld_src);
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    u[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    u[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    u[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    u[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
  for (int h = 0; h < 16; h += 8) {
    for (int j = 0; j < 4; ++j) {
      v[h + j] = _mm512_shuffle_f32x4(u[h + j], u[h + 4 + j], 0x88);
      v[h + 4 + j] = _mm512_shuffle_f32x4(u[h + j], u[h + 4 + j], 0xdd);
    }
  }
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_f32x4(v[j], v[8 + j], 0x88);
    r[8 + j] = _mm512_shuffle_f32x4(v[j], v[8 + j], 0xdd);
  }
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ld_dst, r[i]);
}
#endif

at::Tensor transposed(const at::Tensor& m) {
  TORCH_CHECK(m.dim() == 2 && m.device().is_cpu() && m.scalar_type() == at::kFloat,
              "transposed: a float32 CPU matrix");
  TORCH_CHECK(tunelab::has_avx512(), "transposed: this CPU lacks AVX-512");
  const at::Tensor in = m.contiguous();
  const int64_t rows = in.size(0), cols = in.size(1);
  at::Tensor out = at::empty({cols, rows}, in.options());
  const float* src = in.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const int64_t full_r = rows / 16 * 16, full_c = cols / 16 * 16;
#ifdef TUNELAB_X86
  at::parallel_for(0, full_c / 16, 1, [&](int64_t first, int64_t last) {
    for (int64_t cb = first; cb < last; ++cb)
      for (int64_t r0 = 0; r0 < full_r; r0 += 16)
        block16(src + r0 * cols + cb * 16, cols, dst + cb * 16 * rows + r0, rows);
  });
#endif
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t r = (c < full_c ? full_r : 0); r < rows; ++r) dst[c * rows + r] = src[r * cols + c];
  return out;
}

}  // namespace

TORCH_LIBRARY(tunelab_transpose, m) {
  m.def("transposed(Tensor m) -> Tensor", &transposed);
  m.def("available() -> bool", &tunelab::has_avx512);
}
