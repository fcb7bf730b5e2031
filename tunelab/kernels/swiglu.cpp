// SwiGLU, silu(gate) * up, forward and backward in one pass each, for training on a CPU.
//
// Llama's MLP computes act_fn(gate_proj(x)) * up_proj(x). Autograd runs that as SiLU, then a
// product, and keeps SiLU's output besides both inputs; its backward is three more passes (the
// product's two gradients, then SiLU's), each over a fresh [tokens, intermediate] tensor. Here
// the forward reads gate and up once and writes the output; the backward reads the output's
// gradient, gate and up once and writes both gradients, with sigmoid(gate) computed again
// (cheaper than a pass over a saved copy of it). Inputs are float32, contiguous, equal shapes;
// the CPU runs AVX-512 or AVX2 with FMA, the same arithmetic in 16 or 8 lanes (elsewhere the
// module's own code runs).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <tuple>

#include "isa.h"

namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per task: a few per thread at model sizes

#ifdef TUNELAB_X86
__attribute__((target("avx512f"))) inline __m512 sigmoid16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, tunelab::exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

__attribute__((target("avx512f"))) void forward_span(const float* gate, const float* up, float* out,
                                                    int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tunelab::mask_of(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 u = _mm512_maskz_loadu_ps(m, up + i);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_mul_ps(g, sigmoid16(g)), u));
  }
}

// d out / d up = silu(gate); d out / d gate = up * sigmoid(gate) * (1 + gate * (1 - sigmoid)).
__attribute__((target("avx512f"))) void backward_span(const float* grad, const float* gate,
                                                     const float* up, float* grad_gate,
                                                     float* grad_up, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tunelab::mask_of(n - i);
    const __m512 d = _mm512_maskz_loadu_ps(m, grad + i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 u = _mm512_maskz_loadu_ps(m, up + i);
    const __m512 s = sigmoid16(g);
    const __m512 silu = _mm512_mul_ps(g, s);
    _mm512_mask_storeu_ps(grad_up + i, m, _mm512_mul_ps(d, silu));
    // s * (1 + g * (1 - s)) = s + silu * (1 - s)
    const __m512 slope = _mm512_fmadd_ps(silu, _mm512_sub_ps(one, s), s);
    _mm512_mask_storeu_ps(grad_gate + i, m, _mm512_mul_ps(_mm512_mul_ps(d, u), slope));
  }
}

__attribute__((target("avx2,fma"))) inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, tunelab::exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

__attribute__((target("avx2,fma"))) void forward_span8(const float* gate, const float* up,
                                                       float* out, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 g = tunelab::load8(gate + i, n - i);
    const __m256 u = tunelab::load8(up + i, n - i);
    tunelab::store8(out + i, _mm256_mul_ps(_mm256_mul_ps(g, sigmoid8(g)), u), n - i);
  }
}

__attribute__((target("avx2,fma"))) void backward_span8(const float* grad, const float* gate,
                                                        const float* up, float* grad_gate,
                                                        float* grad_up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 d = tunelab::load8(grad + i, n - i);
    const __m256 g = tunelab::load8(gate + i, n - i);
    const __m256 u = tunelab::load8(up + i, n - i);
    const __m256 s = sigmoid8(g);
    const __m256 silu = _mm256_mul_ps(g, s);
    tunelab::store8(grad_up + i, _mm256_mul_ps(d, silu), n - i);
    const __m256 slope = _mm256_fmadd_ps(silu, _mm256_sub_ps(one, s), s);
    tunelab::store8(grad_gate + i, _mm256_mul_ps(_mm256_mul_ps(d, u), slope), n - i);
  }
}

using Forward = void (*)(const float*, const float*, float*, int64_t);
using Backward = void (*)(const float*, const float*, const float*, float*, float*, int64_t);

// The spans' code for this CPU's widest vectors.
Forward forward_of() { return tunelab::has_avx512() ? forward_span : forward_span8; }
Backward backward_of() { return tunelab::has_avx512() ? backward_span : backward_span8; }
#endif

void check(const at::Tensor& t, const at::Tensor& like, const char* name) {
  TORCH_CHECK(tunelab::has_avx2(), "swiglu: this CPU lacks AVX2 and FMA");
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous(),
              "swiglu: ", name, " must be a contiguous float32 CPU tensor");
  TORCH_CHECK(t.sizes() == like.sizes(), "swiglu: ", name, " has another shape than gate");
}

at::Tensor forward(const at::Tensor& gate, const at::Tensor& up) {
  check(gate, gate, "gate");
  check(up, gate, "up");
  at::Tensor out = at::empty_like(gate);
  const float *g = gate.data_ptr<float>(), *u = up.data_ptr<float>();
  float* o = out.data_ptr<float>();
#ifdef TUNELAB_X86
  const Forward span = forward_of();
  at::parallel_for(0, gate.numel(), kGrain, [&](int64_t first, int64_t last) {
    span(g + first, u + first, o + first, last - first);
  });
#endif
  return out;
}

std::tuple<at::Tensor, at::Tensor> backward(const at::Tensor& grad, const at::Tensor& gate,
                                            const at::Tensor& up) {
  check(gate, gate, "gate");
  check(up, gate, "up");
  check(grad, gate, "grad");
  at::Tensor grad_gate = at::empty_like(gate), grad_up = at::empty_like(up);
  const float *d = grad.data_ptr<float>(), *g = gate.data_ptr<float>(), *u = up.data_ptr<float>();
  float *dg = grad_gate.data_ptr<float>(), *du = grad_up.data_ptr<float>();
#ifdef TUNELAB_X86
  const Backward span = backward_of();
  at::parallel_for(0, gate.numel(), kGrain, [&](int64_t first, int64_t last) {
    span(d + first, g + first, u + first, dg + first, du + first, last - first);
  });
#endif
  return {grad_gate, grad_up};
}

// The same, each gradient written over its input: gate's gradient into gate, up's into up. Each
// vector is loaded before its own stores, and no element reads another's, so the pass is safe in
// place. For the caller who alone holds gate and up (tunelab/kernels/swiglu.py says when): no
// fresh [tokens, intermediate] pair a layer, whose pages a CPU step faults in again each time.
void backward_in_place(const at::Tensor& grad, const at::Tensor& gate, const at::Tensor& up) {
  check(gate, gate, "gate");
  check(up, gate, "up");
  check(grad, gate, "grad");
  TORCH_CHECK(gate.data_ptr() != up.data_ptr(),
              "swiglu: gate and up must not share memory to be written over");
  const float* d = grad.data_ptr<float>();
  float *g = gate.data_ptr<float>(), *u = up.data_ptr<float>();
#ifdef TUNELAB_X86
  const Backward span = backward_of();
  at::parallel_for(0, gate.numel(), kGrain, [&](int64_t first, int64_t last) {
    span(d + first, g + first, u + first, g + first, u + first, last - first);
  });
#endif
}

}  // namespace

TORCH_LIBRARY(tunelab_swiglu, m) {
  m.def("forward(Tensor gate, Tensor up) -> Tensor", &forward);
  m.def("backward(Tensor grad, Tensor gate, Tensor up) -> (Tensor, Tensor)", &backward);
  m.def("backward_in_place(Tensor grad, Tensor(a!) gate, Tensor(b!) up) -> ()", &backward_in_place);
  m.def("available() -> bool", &tunelab::has_avx2);
}
