// Llama's RMSNorm, weight * x / sqrt(mean(x^2) + eps), forward and backward in one pass over
// memory each, for training on a CPU.
//
// As autograd ops (tunelab/train/layers/rms_norm.py's closed form) the forward is five passes over
// the hidden states and the backward eight, each a fresh [tokens, hidden] tensor. A row of the
// hidden states (576 floats on the 135M model) fits in L1: here each row is read twice from cache,
// not from memory. The forward keeps x and one 1/rms per token; the backward recomputes x * 1/rms
// and writes the input's gradient, summing the weight's over each task's rows in that task's own
// buffer row. Inputs are float32, contiguous, rows of the weight's width; the CPU runs AVX-512 or
// AVX2 with FMA, the same sums in 16 or 8 lanes (elsewhere the autograd ops run).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <cmath>
#include <tuple>

#include "isa.h"

namespace {

constexpr int64_t kGrainRows = 64;

#ifdef TUNELAB_X86
__attribute__((target("avx512f"))) float forward_row(const float* x, const float* w, float* y,
                                                    int64_t d, float eps) {
  __m512 squares = _mm512_setzero_ps();
  for (int64_t i = 0; i < d; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(tunelab::mask_of(d - i), x + i);
    squares = _mm512_fmadd_ps(v, v, squares);
  }
  const float rstd = 1.0f / std::sqrt(_mm512_reduce_add_ps(squares) / d + eps);
  const __m512 r = _mm512_set1_ps(rstd);
  for (int64_t i = 0; i < d; i += 16) {
    const __mmask16 m = tunelab::mask_of(d - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 s = _mm512_maskz_loadu_ps(m, w + i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_mul_ps(v, r), s));
  }
  return rstd;
}

// With n = x * rstd and gn = g * w: dx = rstd * (gn - n * mean(gn * n)); dw += g * n.
__attribute__((target("avx512f"))) void backward_row(const float* g, const float* x,
                                                     const float* w, float rstd, float* dx,
                                                     float* dw, int64_t d) {
  const __m512 r = _mm512_set1_ps(rstd);
  __m512 dot = _mm512_setzero_ps();
  for (int64_t i = 0; i < d; i += 16) {
    const __mmask16 m = tunelab::mask_of(d - i);
    const __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
    const __m512 n = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), r);
    const __m512 gn = _mm512_mul_ps(gv, _mm512_maskz_loadu_ps(m, w + i));
    dot = _mm512_fmadd_ps(gn, n, dot);
    if (dw != nullptr) {
      _mm512_mask_storeu_ps(dw + i, m, _mm512_fmadd_ps(gv, n, _mm512_maskz_loadu_ps(m, dw + i)));
    }
  }
  const __m512 along = _mm512_set1_ps(_mm512_reduce_add_ps(dot) / d);
  for (int64_t i = 0; i < d; i += 16) {
    const __mmask16 m = tunelab::mask_of(d - i);
    const __m512 n = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), r);
    const __m512 gn = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, g + i), _mm512_maskz_loadu_ps(m, w + i));
    _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(_mm512_fnmadd_ps(n, along, gn), r));
  }
}

__attribute__((target("avx2,fma"))) float forward_row8(const float* x, const float* w, float* y,
                                                      int64_t d, float eps) {
  __m256 squares = _mm256_setzero_ps();
  for (int64_t i = 0; i < d; i += 8) {
    const __m256 v = tunelab::load8(x + i, d - i);
    squares = _mm256_fmadd_ps(v, v, squares);
  }
  const float rstd = 1.0f / std::sqrt(tunelab::sum8(squares) / d + eps);
  const __m256 r = _mm256_set1_ps(rstd);
  for (int64_t i = 0; i < d; i += 8) {
    const __m256 v = tunelab::load8(x + i, d - i);
    const __m256 s = tunelab::load8(w + i, d - i);
    tunelab::store8(y + i, _mm256_mul_ps(_mm256_mul_ps(v, r), s), d - i);
  }
  return rstd;
}

__attribute__((target("avx2,fma"))) void backward_row8(const float* g, const float* x,
                                                       const float* w, float rstd, float* dx,
                                                       float* dw, int64_t d) {
  const __m256 r = _mm256_set1_ps(rstd);
  __m256 dot = _mm256_setzero_ps();
  for (int64_t i = 0; i < d; i += 8) {
    const __m256 gv = tunelab::load8(g + i, d - i);
    const __m256 n = _mm256_mul_ps(tunelab::load8(x + i, d - i), r);
    const __m256 gn = _mm256_mul_ps(gv, tunelab::load8(w + i, d - i));
    dot = _mm256_fmadd_ps(gn, n, dot);
    if (dw != nullptr) {
      tunelab::store8(dw + i, _mm256_fmadd_ps(gv, n, tunelab::load8(dw + i, d - i)), d - i);
    }
  }
  const __m256 along = _mm256_set1_ps(tunelab::sum8(dot) / d);
  for (int64_t i = 0; i < d; i += 8) {
    const __m256 n = _mm256_mul_ps(tunelab::load8(x + i, d - i), r);
    const __m256 gn = _mm256_mul_ps(tunelab::load8(g + i, d - i), tunelab::load8(w + i, d - i));
    tunelab::store8(dx + i, _mm256_mul_ps(_mm256_fnmadd_ps(n, along, gn), r), d - i);
  }
}
#endif

void check(const at::Tensor& t, int64_t width, const char* name) {
  TORCH_CHECK(tunelab::has_avx2(), "rms_norm: this CPU lacks AVX2 and FMA");
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous(),
              "rms_norm: ", name, " must be a contiguous float32 CPU tensor");
  TORCH_CHECK(t.dim() >= 1 && t.size(-1) == width, "rms_norm: ", name,
              " must have rows as wide as the weight");
}

std::tuple<at::Tensor, at::Tensor> forward(const at::Tensor& x, const at::Tensor& weight,
                                           double eps) {
  const int64_t d = weight.numel();
  check(weight, d, "weight");
  check(x, d, "x");
  const int64_t rows = x.numel() / d;
  at::Tensor y = at::empty_like(x), rstd = at::empty({rows}, x.options());
  const float *xp = x.data_ptr<float>(), *wp = weight.data_ptr<float>();
  float *yp = y.data_ptr<float>(), *rp = rstd.data_ptr<float>();
#ifdef TUNELAB_X86
  const auto row_of = tunelab::has_avx512() ? forward_row : forward_row8;
  at::parallel_for(0, rows, kGrainRows, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      rp[row] = row_of(xp + row * d, wp, yp + row * d, d, static_cast<float>(eps));
    }
  });
#endif
  return {y, rstd};
}

// The weight's gradient is summed per task into its own row of a buffer, then across tasks:
// no two threads write one float, and the sum does not depend on which thread ran a task.
std::tuple<at::Tensor, at::Tensor> backward(const at::Tensor& grad, const at::Tensor& x,
                                            const at::Tensor& rstd, const at::Tensor& weight,
                                            bool weight_grad) {
  const int64_t d = weight.numel();
  check(weight, d, "weight");
  check(x, d, "x");
  check(grad, d, "grad");
  TORCH_CHECK(grad.sizes() == x.sizes(), "rms_norm: grad has another shape than x");
  const int64_t rows = x.numel() / d;
  TORCH_CHECK(rstd.is_contiguous() && rstd.numel() == rows, "rms_norm: one 1/rms a row");
  const int64_t tasks = (rows + kGrainRows - 1) / kGrainRows;
  at::Tensor dx = at::empty_like(x);
  at::Tensor partial = at::zeros({weight_grad ? tasks : 0, d}, x.options());
  const float *gp = grad.data_ptr<float>(), *xp = x.data_ptr<float>(),
              *rp = rstd.data_ptr<float>(), *wp = weight.data_ptr<float>();
  float* dxp = dx.data_ptr<float>();
  float* pp = weight_grad ? partial.data_ptr<float>() : nullptr;
#ifdef TUNELAB_X86
  const auto backward_of = tunelab::has_avx512() ? backward_row : backward_row8;
  at::parallel_for(0, tasks, 1, [&](int64_t first_task, int64_t last_task) {
    for (int64_t task = first_task; task < last_task; ++task) {
      float* dw = pp == nullptr ? nullptr : pp + task * d;
      const int64_t end = std::min(rows, (task + 1) * kGrainRows);
      for (int64_t row = task * kGrainRows; row < end; ++row) {
        backward_of(gp + row * d, xp + row * d, wp, rp[row], dxp + row * d, dw, d);
      }
    }
  });
#endif
  return {dx, weight_grad ? partial.sum(0) : at::empty({0}, x.options())};
}

}  // namespace

TORCH_LIBRARY(tunelab_rms_norm, m) {
  m.def("forward(Tensor x, Tensor weight, float eps) -> (Tensor, Tensor)", &forward);
  m.def(
      "backward(Tensor grad, Tensor x, Tensor rstd, Tensor weight, bool weight_grad) -> "
      "(Tensor, Tensor)",
      &backward);
  m.def("available() -> bool", &tunelab::has_avx2);
}
