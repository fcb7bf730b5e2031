// out = x @ W.T (+ bias) for the few rows of a decoding step, on weights packed once.
//
// oneDNN's kernel, packed, still costs 1.6x at 8 rows what it costs at 1 on one thread of the
// project's CPU, though one read of the weights should serve both: a step of 8 replies is then
// bound by arithmetic it does not need. This kernel streams each weight once per call, whatever
// the row count, and keeps the rows in registers against it (tunelab/kernels/thin.py has the
// measurements).
//
// Layout: the weight [n, k] is packed as panels of 32 output columns, [ceil(n/32), k, 32], the
// last panel padded with zeros, so that a panel is one contiguous stream.
//
// Every output element is the same sum in the same order, whatever the row count, thread count,
// instruction set, or whether it is taken in parts: zero, then one fused multiply-add per k in
// order, then the bias. So a reply's text does not depend on how many others share its step
// (what the server's engine promises: its replies equal generate()'s), and the AVX2 and AVX-512
// paths agree bit for bit.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>

#include "isa.h"

namespace {

using tunelab::best_isa;
using tunelab::kAvx2;
using tunelab::kAvx512;
using tunelab::kNone;

constexpr int64_t kPanel = 32;
// How far ahead of the panel being read to ask for its next bytes: without it one row reads the
// weights at ~23 GB/s, with it ~30, and 8 rows cost what 1 does (4 or 8 KB ahead: 17-18 ms for
// the 135M model's products at 1 and at 8 rows, one thread).
constexpr int64_t kAhead = 2048;
// Floats of k a part of a panel holds, for more rows than one block (below): 8 KB at 32 columns.
constexpr int64_t kPart = 64;


struct Product {
  const float* x;     // [m, k] rows
  const float* w;     // one panel, [k, 32]
  float* out;         // [m, n] rows, at this panel's first column
  const float* bias;  // at this panel's first column, or null
  int64_t k, n, columns;  // columns: how many of the panel's 32 are real
  // The part of the sum this call adds, [from, to) of k: a first part starts from zero, a later
  // one from the partial sums an earlier one left in `out` (exact: float32, as in registers).
  int64_t from, to;
};

#ifdef TUNELAB_X86
// Rows as 16-wide vectors, 8 rows a block: 16 accumulators, 2 panel vectors, 1 broadcast.
template <int Rows>
__attribute__((target("avx512f"))) void block_avx512(const Product& p) {
  const int64_t c = p.columns;
  const __mmask16 m_low = c >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << c) - 1);
  const __mmask16 m_high =
      c >= 32 ? 0xFFFF : (c <= 16 ? 0 : static_cast<__mmask16>((1u << (c - 16)) - 1));
  __m512 low[Rows], high[Rows];
  for (int r = 0; r < Rows; ++r) {
    if (p.from == 0) {
      low[r] = high[r] = _mm512_setzero_ps();
    } else {
      low[r] = _mm512_maskz_loadu_ps(m_low, p.out + r * p.n);
      high[r] = _mm512_maskz_loadu_ps(m_high, p.out + r * p.n + 16);
    }
  }
  for (int64_t i = p.from; i < p.to; ++i) {
    const float* w = p.w + i * kPanel;
    _mm_prefetch(reinterpret_cast<const char*>(w + kAhead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(w + kAhead + 16), _MM_HINT_T0);
    const __m512 w_low = _mm512_loadu_ps(w), w_high = _mm512_loadu_ps(w + 16);
    for (int r = 0; r < Rows; ++r) {
      const __m512 x = _mm512_set1_ps(p.x[r * p.k + i]);
      low[r] = _mm512_fmadd_ps(x, w_low, low[r]);
      high[r] = _mm512_fmadd_ps(x, w_high, high[r]);
    }
  }
  const bool bias = p.bias && p.to == p.k;
  __m512 b_low = _mm512_setzero_ps(), b_high = _mm512_setzero_ps();
  if (bias) {
    b_low = _mm512_maskz_loadu_ps(m_low, p.bias);
    b_high = _mm512_maskz_loadu_ps(m_high, p.bias + 16);
  }
  for (int r = 0; r < Rows; ++r) {
    __m512 lo = low[r], hi = high[r];
    if (bias) {
      lo = _mm512_add_ps(lo, b_low);
      hi = _mm512_add_ps(hi, b_high);
    }
    _mm512_mask_storeu_ps(p.out + r * p.n, m_low, lo);
    _mm512_mask_storeu_ps(p.out + r * p.n + 16, m_high, hi);
  }
}

// Rows as 8-wide vectors, 3 rows a block: 12 accumulators of the 16 registers.
template <int Rows>
__attribute__((target("avx2,fma"))) void block_avx2(const Product& p) {
  alignas(32) float row[kPanel] = {};
  __m256 acc[Rows][4];
  for (int r = 0; r < Rows; ++r) {
    if (p.from > 0) std::copy(p.out + r * p.n, p.out + r * p.n + p.columns, row);
    for (int j = 0; j < 4; ++j) acc[r][j] = _mm256_load_ps(row + 8 * j);
  }
  for (int64_t i = p.from; i < p.to; ++i) {
    const float* w = p.w + i * kPanel;
    _mm_prefetch(reinterpret_cast<const char*>(w + kAhead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(w + kAhead + 16), _MM_HINT_T0);
    for (int r = 0; r < Rows; ++r) {
      const __m256 x = _mm256_set1_ps(p.x[r * p.k + i]);
      for (int j = 0; j < 4; ++j)
        acc[r][j] = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + 8 * j), acc[r][j]);
    }
  }
  const bool bias = p.bias && p.to == p.k;
  for (int r = 0; r < Rows; ++r) {
    for (int j = 0; j < 4; ++j) _mm256_store_ps(row + 8 * j, acc[r][j]);
    float* out = p.out + r * p.n;
    for (int64_t c = 0; c < p.columns; ++c) out[c] = bias ? row[c] + p.bias[c] : row[c];
  }
}

template <int Rows_>
struct Avx512 {
  static void run(const Product& p) { block_avx512<Rows_>(p); }
};
template <int Rows_>
struct Avx2 {
  static void run(const Product& p) { block_avx2<Rows_>(p); }
};

// Run `rows` rows through one panel, Block at a time, then the rest with a smaller block.
template <int Block, template <int> class Kernel>
void panel_rows(Product p, int64_t rows) {
  int64_t r = 0;
  for (; r + Block <= rows; r += Block) {
    Kernel<Block>::run(p);
    p.x += Block * p.k;
    p.out += Block * p.n;
  }
  if constexpr (Block > 1) {
    if (rows - r > 0) panel_rows<Block - 1, Kernel>(p, rows - r);
  }
}
#endif

at::Tensor thin_linear(const at::Tensor& x, const at::Tensor& packed, int64_t n,
                       const c10::optional<at::Tensor>& bias, int64_t isa) {
  TORCH_CHECK(x.device().is_cpu() && x.scalar_type() == at::kFloat, "thin_linear: float32 CPU rows");
  TORCH_CHECK(packed.dim() == 3 && packed.size(2) == kPanel && packed.is_contiguous() &&
                  packed.scalar_type() == at::kFloat,
              "thin_linear: a weight packed by tunelab.kernels.thin.pack");
  const int64_t k = x.size(-1);
  TORCH_CHECK(packed.size(1) == k, "thin_linear: rows of ", k, " against a weight of ",
              packed.size(1), " columns");
  TORCH_CHECK(packed.size(0) * kPanel >= n && packed.size(0) * kPanel < n + kPanel,
              "thin_linear: n does not match the packed weight");
  if (isa == kNone) isa = best_isa();
  TORCH_CHECK(isa != kNone && isa <= best_isa(), "thin_linear: this CPU lacks instruction set ",
              isa);
  at::Tensor rows = x.reshape({-1, k}).contiguous();
  const int64_t m = rows.size(0);
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = n;
  at::Tensor out = at::empty({m, n}, x.options());
  at::Tensor b;
  if (bias.has_value() && bias->defined()) {
    b = bias->contiguous();
    TORCH_CHECK(b.scalar_type() == at::kFloat && b.numel() == n, "thin_linear: a bias of ", n);
  }
#ifdef TUNELAB_X86
  if (m > 0) {
    const float* xs = rows.data_ptr<float>();
    const float* ws = packed.data_ptr<float>();
    const float* bs = b.defined() ? b.data_ptr<float>() : nullptr;
    float* outs = out.data_ptr<float>();
    const int64_t panels = packed.size(0);
    // Past one block of rows, each block reads the panel again: from memory for the first, from
    // the cache for the others, which then compute while nothing streams in. In parts of 8 KB,
    // one prefetch distance, the later blocks compute while the next part arrives: 16 rows
    // 22 ms instead of 26-27. Not for many rows (a prompt's prefill): 512 rows on 2 threads
    // took 400 ms in parts against 335 whole, where the arithmetic is what bounds it anyway.
    const int64_t part = m > 8 && m <= 32 ? kPart : k;
    // Enough panels a task that one is worth a thread: ~256K multiply-adds.
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / (k * kPanel * m));
    at::parallel_for(0, panels, grain, [&](int64_t first, int64_t last) {
      for (int64_t panel = first; panel < last; ++panel) {
        const int64_t column = panel * kPanel;
        for (int64_t from = 0; from < k; from += part) {
          Product p{xs, ws + panel * k * kPanel, outs + column, bs ? bs + column : nullptr, k, n,
                    std::min<int64_t>(kPanel, n - column), from, std::min(k, from + part)};
          if (isa == kAvx512)
            panel_rows<8, Avx512>(p, m);
          else
            panel_rows<3, Avx2>(p, m);
        }
      }
    });
  }
#endif
  return out.view(shape);
}

}  // namespace

TORCH_LIBRARY(tunelab_thin, m) {
  m.def("linear(Tensor x, Tensor packed, int n, Tensor? bias, int isa) -> Tensor", &thin_linear);
  m.def("best_isa() -> int", &tunelab::best_isa);
}
