// Causal attention inside each packed document, forward and backward, for training on a CPU.
//
// Training packs ~100-token documents into rows and attends within each one
// (tunelab/train/layers/document_attention.py). torch's CPU flash kernel, called per document, runs
// such short ones at ~15-30 GFLOP/s: its blocks and per-call work are sized for long sequences.
// Here a document's whole score matrix fits in the cache, so each (document, key head) is one task
// that computes its scores, softmax and products in tiles of 8 rows x 32 columns held in registers,
// and only the causal triangle is computed. What is saved for the backward is what flash keeps: the
// output and each row's log-sum-exp; the backward computes the scores again. The CPU runs AVX-512,
// or AVX2 with FMA (attention_avx2.h: the same tiles as register parts of 4 x 16).
//
// Layouts: q [rows, T, heads, D] strides as given (D contiguous), k and v likewise with the key
// heads; the output [rows, T, heads, D] contiguous. `docs` [n, 3] int64: (row, start, length).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "isa.h"

namespace {

constexpr int kRows = 8;   // a tile's rows
constexpr int kCols = 32;  // a tile's columns: two 16-float vectors

// A matrix read element by element: A[r][c] = data[r * row + c * col].
struct Strided {
  const float* data;
  int64_t row, col;
};

#ifdef TUNELAB_X86
using tunelab::exp16;
using tunelab::mask_of;

// C[R rows, cols <= 32] (+)= alpha * A[R rows, k in [from, to)] @ B[k, cols], B rows `ldb` apart.
template <int R>
__attribute__((target("avx512f"))) void tile(Strided a, const float* b, int64_t ldb, int64_t from,
                                            int64_t to, float* c, int64_t ldc, int64_t cols,
                                            float alpha, bool add) {
  const __mmask16 m_low = mask_of(cols), m_high = mask_of(cols - 16);
  __m512 low[R], high[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) low[r] = high[r] = _mm512_setzero_ps();
  for (int64_t i = from; i < to; ++i) {
    const float* brow = b + i * ldb;
    const __m512 b_low = _mm512_maskz_loadu_ps(m_low, brow);
    const __m512 b_high = _mm512_maskz_loadu_ps(m_high, brow + 16);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 x = _mm512_set1_ps(a.data[r * a.row + i * a.col]);
      low[r] = _mm512_fmadd_ps(x, b_low, low[r]);
      high[r] = _mm512_fmadd_ps(x, b_high, high[r]);
    }
  }
  const __m512 scale = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* out = c + r * ldc;
    __m512 lo = _mm512_mul_ps(low[r], scale), hi = _mm512_mul_ps(high[r], scale);
    if (add) {
      lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m_low, out));
      hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m_high, out + 16));
    }
    _mm512_mask_storeu_ps(out, m_low, lo);
    _mm512_mask_storeu_ps(out + 16, m_high, hi);
  }
}

// One instruction set's inner functions (AVX-512's here, AVX2's in attention_avx2.h): the
// driver below is written once and takes the CPU's set once per call.
struct Ops {
  using Tile = void (*)(Strided a, const float* b, int64_t ldb, int64_t from, int64_t to,
                        float* c, int64_t ldc, int64_t cols, float alpha, bool add);
  Tile tile[kRows];  // tile[r - 1]: r rows
  void (*softmax_rows)(float* s, int64_t L, float* lse, bool find);
  void (*row_dots)(const float* a, const float* b, int64_t ld, int64_t rows, int64_t n,
                   float* out);
  void (*softmax_gradient)(const float* p, float* ds, const float* delta, int64_t L);
};

using Span = std::pair<int64_t, int64_t>;  // [from, to) of k

// C[m, n] (+)= alpha * A @ B, row tile by row tile; each tile of rows [i, i + 8) sums k over
// span(i).first..second and writes columns [0, width(i)) of n.
template <class Spans, class Width>
void product(const Ops& ops, int64_t m, Strided a, const float* b, int64_t ldb, float* c,
             int64_t ldc, float alpha, bool add, Spans span, Width width) {
  for (int64_t i = 0; i < m; i += kRows) {
    const int rows = static_cast<int>(std::min<int64_t>(kRows, m - i));
    const auto [from, to] = span(i);
    const int64_t n = width(i);
    Strided at{a.data + i * a.row, a.row, a.col};
    for (int64_t j = 0; j < n; j += kCols)
      ops.tile[rows - 1](at, b + j, ldb, from, to, c + i * ldc + j, ldc,
                         std::min<int64_t>(kCols, n - j), alpha, add);
  }
}

// One document's rows of one query head, in a task's scratch.
struct Head {
  const float* q;  // row 0 of the document, this head; rows `q_t` apart
  int64_t q_t;
  int64_t length, dim;
  float scale;
};

// s[L, L] = scale * q @ kt (kt: the key head transposed, [D, L]), the causal triangle's tiles.
void scores(const Ops& ops, const Head& h, const float* kt, float* s) {
  const int64_t L = h.length;
  product(
      ops, L, Strided{h.q, h.q_t, 1}, kt, L, s, L, h.scale, false,
      [&](int64_t) { return Span{0, h.dim}; },
      [&](int64_t i) { return std::min<int64_t>(L, i + kRows); });
}

// Row i of p: exp(s - lse) for j <= i and 0 after it, up to its tile's width. The forward
// (`find`) finds each row's lse and writes it; the backward reads it.
__attribute__((target("avx512f"))) void softmax_rows(float* s, int64_t L, float* lse, bool find) {
  for (int64_t i = 0; i < L; ++i) {
    float* row = s + i * L;
    const int64_t n = i + 1, width = std::min<int64_t>(L, (i / kRows + 1) * kRows);
    if (find) {
      __m512 best = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
      for (int64_t j = 0; j < n; j += 16)
        best = _mm512_max_ps(best, _mm512_mask_loadu_ps(best, mask_of(n - j), row + j));
      const float top = _mm512_reduce_max_ps(best);
      const __m512 sub = _mm512_set1_ps(top);
      __m512 total = _mm512_setzero_ps();
      for (int64_t j = 0; j < n; j += 16) {
        const __mmask16 m = mask_of(n - j);
        const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), sub));
        total = _mm512_add_ps(total, _mm512_maskz_mov_ps(m, e));
        _mm512_mask_storeu_ps(row + j, m, e);
      }
      const float sum = _mm512_reduce_add_ps(total);
      lse[i] = top + std::log(sum);
      const __m512 inverse = _mm512_set1_ps(1.0f / sum);
      for (int64_t j = 0; j < n; j += 16) {
        const __mmask16 m = mask_of(n - j);
        const __m512 e = _mm512_maskz_loadu_ps(m, row + j);
        _mm512_mask_storeu_ps(row + j, m, _mm512_mul_ps(e, inverse));
      }
    } else {
      const __m512 sub = _mm512_set1_ps(lse[i]);
      for (int64_t j = 0; j < n; j += 16) {
        const __mmask16 m = mask_of(n - j);
        const __m512 x = _mm512_maskz_loadu_ps(m, row + j);
        _mm512_mask_storeu_ps(row + j, m, exp16(_mm512_sub_ps(x, sub)));
      }
    }
    std::fill(row + n, row + width, 0.0f);
  }
}

// out[i] = a_i . b_i for `rows` rows of `n` floats, `ld` apart.
__attribute__((target("avx512f"))) void row_dots(const float* a, const float* b, int64_t ld,
                                                int64_t rows, int64_t n, float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    __m512 sum = _mm512_setzero_ps();
    for (int64_t d = 0; d < n; d += 16) {
      const __mmask16 m = mask_of(n - d);
      sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i * ld + d),
                            _mm512_maskz_loadu_ps(m, b + i * ld + d), sum);
    }
    out[i] = _mm512_reduce_add_ps(sum);
  }
}

// Rows i of ds (L floats apart), over their tile's width: ds = p * (ds - delta_i).
__attribute__((target("avx512f"))) void softmax_gradient(const float* p, float* ds,
                                                        const float* delta, int64_t L) {
  for (int64_t i = 0; i < L; ++i) {
    const int64_t width = std::min<int64_t>(L, (i / kRows + 1) * kRows);
    const __m512 d = _mm512_set1_ps(delta[i]);
    for (int64_t j = 0; j < width; j += 16) {
      const __mmask16 m = mask_of(width - j);
      const __m512 x = _mm512_maskz_loadu_ps(m, ds + i * L + j);
      const __m512 y = _mm512_maskz_loadu_ps(m, p + i * L + j);
      _mm512_mask_storeu_ps(ds + i * L + j, m, _mm512_mul_ps(y, _mm512_sub_ps(x, d)));
    }
  }
}

#include "attention_avx2.h"

const Ops kAvx512{{tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>, tile<7>, tile<8>},
                  softmax_rows,
                  row_dots,
                  softmax_gradient};
const Ops kAvx2{{tile8<1>, tile8<2>, tile8<3>, tile8<4>, tile8<5>, tile8<6>, tile8<7>, tile8<8>},
                softmax_rows8,
                row_dots8,
                softmax_gradient8};

// m [rows, cols] (rows `ld` apart) transposed into t [cols, rows].
void transpose(const float* m, int64_t ld, int64_t rows, int64_t cols, float* t) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) t[c * rows + r] = m[r * ld + c];
}

struct Doc {
  int64_t row, start, length;
};

// The documents, each checked to lie inside its row: the kernels index memory by them.
std::vector<Doc> read_docs(const at::Tensor& docs, int64_t rows, int64_t width) {
  TORCH_CHECK(docs.dim() == 2 && docs.size(1) == 3 && docs.scalar_type() == at::kLong,
              "document attention: docs as [n, 3] int64 (row, start, length)");
  const at::Tensor d = docs.contiguous();
  const int64_t* p = d.data_ptr<int64_t>();
  std::vector<Doc> out;
  for (int64_t i = 0; i < d.size(0); ++i) {
    const Doc doc{p[3 * i], p[3 * i + 1], p[3 * i + 2]};
    TORCH_CHECK(doc.row >= 0 && doc.row < rows && doc.start >= 0 && doc.length > 0 &&
                    doc.start + doc.length <= width,
                "document attention: document ", i, " (row ", doc.row, ", start ", doc.start,
                ", length ", doc.length, ") is outside rows of ", width, " tokens");
    out.push_back(doc);
  }
  return out;
}

// The spans of each row that no document covers, as (row, start, length), in order. The kernels
// write every covered position of their outputs and gradients and these are zeroed, so the
// outputs need not be zeroed first (which took ~5% of a call). Two documents may not share a
// position: two tasks would write its rows at once.
std::vector<Doc> uncovered(std::vector<Doc> docs, int64_t rows, int64_t width) {
  std::sort(docs.begin(), docs.end(), [](const Doc& a, const Doc& b) {
    return a.row != b.row ? a.row < b.row : a.start < b.start;
  });
  std::vector<Doc> gaps;
  size_t next = 0;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t at = 0;
    for (; next < docs.size() && docs[next].row == row; ++next) {
      const Doc& doc = docs[next];
      TORCH_CHECK(doc.start >= at, "document attention: documents overlap in row ", row,
                  " at token ", doc.start);
      if (doc.start > at) gaps.push_back({row, at, doc.start - at});
      at = doc.start + doc.length;
    }
    if (at < width) gaps.push_back({row, at, width - at});
  }
  return gaps;
}

// Zeros t[row, start:start + length] (dim 1 of [rows, T, ...]) or, with `dim` 2, of
// [rows, heads, T], for every gap.
void zero_gaps(at::Tensor& t, const std::vector<Doc>& gaps, int64_t dim = 1) {
  for (const Doc& gap : gaps) t.select(0, gap.row).narrow(dim - 1, gap.start, gap.length).zero_();
}

void check_shapes(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  TORCH_CHECK(k.sizes() == v.sizes() && q.size(0) == k.size(0) && q.size(1) == k.size(1) &&
                  q.size(3) == k.size(3) && k.size(2) > 0 && q.size(2) % k.size(2) == 0,
              "document attention: q [rows, T, heads, D], k and v [rows, T, kv_heads, D] with "
              "heads a multiple of kv_heads");
}

// The tasks (document, key head) dealt to the threads, longest first, each to the least loaded:
// documents differ in length, and an even split by count leaves one thread waiting on the other.
std::vector<std::vector<int64_t>> deal(const std::vector<Doc>& docs, int64_t kv_heads) {
  const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
  std::vector<int64_t> order(docs.size() * kv_heads);
  for (size_t t = 0; t < order.size(); ++t) order[t] = static_cast<int64_t>(t);
  auto cost = [&](int64_t task) {
    const int64_t length = docs[task / kv_heads].length;
    return length * length;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return cost(a) > cost(b); });
  std::vector<std::vector<int64_t>> hands(threads);
  std::vector<int64_t> load(threads, 0);
  for (int64_t task : order) {
    const int64_t least = std::min_element(load.begin(), load.end()) - load.begin();
    hands[least].push_back(task);
    load[least] += cost(task) + 1;
  }
  return hands;
}

void check(const at::Tensor& t, const char* name) {
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == at::kFloat && t.dim() == 4 &&
                  t.stride(3) == 1,
              "document attention: ", name, " float32 CPU [rows, T, heads, D], D contiguous");
}
#endif

// -> (out [rows, T, heads, D], lse [rows, heads, T])
std::tuple<at::Tensor, at::Tensor> forward(const at::Tensor& q, const at::Tensor& k,
                                           const at::Tensor& v, const at::Tensor& docs,
                                           double scale) {
  TORCH_CHECK(tunelab::has_avx2(), "document attention: this CPU lacks AVX2 and FMA");
  at::Tensor out = at::empty(q.sizes(), q.options());
  at::Tensor lse = at::empty({q.size(0), q.size(2), q.size(1)}, q.options());
#ifdef TUNELAB_X86
  check(q, "q");
  check(k, "k");
  check(v, "v");
  check_shapes(q, k, v);
  const std::vector<Doc> list = read_docs(docs, q.size(0), q.size(1));
  const std::vector<Doc> gaps = uncovered(list, q.size(0), q.size(1));
  zero_gaps(out, gaps);
  zero_gaps(lse, gaps, 2);
  const int64_t heads = q.size(2), kv_heads = k.size(2), D = q.size(3), T = q.size(1);
  const int64_t group = heads / kv_heads;
  const float* qp = q.data_ptr<float>();
  const float* kp = k.data_ptr<float>();
  const float* vp = v.data_ptr<float>();
  float* op = out.data_ptr<float>();
  float* lp = lse.data_ptr<float>();
  const std::vector<std::vector<int64_t>> hands = deal(list, kv_heads);
  const Ops& ops = tunelab::has_avx512() ? kAvx512 : kAvx2;
  at::parallel_for(0, static_cast<int64_t>(hands.size()), 1, [&](int64_t first, int64_t last) {
    std::vector<float> kt, s;
    for (int64_t hand = first; hand < last; ++hand) for (int64_t task : hands[hand]) {
      const Doc doc = list[task / kv_heads];
      const int64_t kh = task % kv_heads, L = doc.length;
      kt.resize(D * L);
      s.resize(L * L);
      const float* kd = kp + doc.row * k.stride(0) + doc.start * k.stride(1) + kh * k.stride(2);
      const float* vd = vp + doc.row * v.stride(0) + doc.start * v.stride(1) + kh * v.stride(2);
      transpose(kd, k.stride(1), L, D, kt.data());
      for (int64_t h = kh * group; h < (kh + 1) * group; ++h) {
        Head head{qp + doc.row * q.stride(0) + doc.start * q.stride(1) + h * q.stride(2),
                  q.stride(1), L, D, static_cast<float>(scale)};
        scores(ops, head, kt.data(), s.data());
        float* lse_row = lp + (doc.row * heads + h) * T + doc.start;
        ops.softmax_rows(s.data(), L, lse_row, true);
        float* o = op + ((doc.row * T + doc.start) * heads + h) * D;
        product(
            ops, L, Strided{s.data(), L, 1}, vd, v.stride(1), o, heads * D, 1.0f, false,
            [&](int64_t i) { return Span{0, std::min<int64_t>(L, i + kRows)}; },
            [&](int64_t) { return D; });
      }
    }
  });
#endif
  return {out, lse};
}

// -> (dq [rows, T, heads, D], dk and dv [rows, T, kv_heads, D])
std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(
    const at::Tensor& grad, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
    const at::Tensor& out, const at::Tensor& lse, const at::Tensor& docs, double scale) {
  TORCH_CHECK(tunelab::has_avx2(), "document attention: this CPU lacks AVX2 and FMA");
  at::Tensor dq = at::empty(q.sizes(), q.options());
  at::Tensor dk = at::empty(k.sizes(), k.options());
  at::Tensor dv = at::empty(v.sizes(), v.options());
#ifdef TUNELAB_X86
  const at::Tensor g = grad.contiguous();
  check(q, "q");
  check(k, "k");
  check(v, "v");
  TORCH_CHECK(out.is_contiguous() && lse.is_contiguous(), "document attention: saved tensors");
  TORCH_CHECK(g.sizes() == q.sizes(), "document attention: a gradient shaped as the output");
  check_shapes(q, k, v);
  const std::vector<Doc> list = read_docs(docs, q.size(0), q.size(1));
  const std::vector<Doc> gaps = uncovered(list, q.size(0), q.size(1));
  for (at::Tensor* t : {&dq, &dk, &dv}) zero_gaps(*t, gaps);
  const int64_t heads = q.size(2), kv_heads = k.size(2), D = q.size(3), T = q.size(1);
  const int64_t group = heads / kv_heads;
  const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
  const float *gp = g.data_ptr<float>(), *op = out.data_ptr<float>(), *lp = lse.data_ptr<float>();
  float *dqp = dq.data_ptr<float>(), *dkp = dk.data_ptr<float>(), *dvp = dv.data_ptr<float>();
  const float sc = static_cast<float>(scale);
  const std::vector<std::vector<int64_t>> hands = deal(list, kv_heads);
  const Ops& ops = tunelab::has_avx512() ? kAvx512 : kAvx2;
  at::parallel_for(0, static_cast<int64_t>(hands.size()), 1, [&](int64_t first, int64_t last) {
    std::vector<float> kt, vt, p, ds, delta;
    for (int64_t hand = first; hand < last; ++hand) for (int64_t task : hands[hand]) {
      const Doc doc = list[task / kv_heads];
      const int64_t kh = task % kv_heads, L = doc.length;
      kt.resize(D * L);
      vt.resize(D * L);
      p.resize(L * L);
      ds.resize(L * L);
      delta.resize(L);
      const int64_t k_at = doc.row * k.stride(0) + doc.start * k.stride(1) + kh * k.stride(2);
      const int64_t v_at = doc.row * v.stride(0) + doc.start * v.stride(1) + kh * v.stride(2);
      const int64_t kv_at = ((doc.row * T + doc.start) * kv_heads + kh) * D;  // dk, dv
      transpose(kp + k_at, k.stride(1), L, D, kt.data());
      transpose(vp + v_at, v.stride(1), L, D, vt.data());
      for (int64_t h = kh * group; h < (kh + 1) * group; ++h) {
        const float* qd = qp + doc.row * q.stride(0) + doc.start * q.stride(1) + h * q.stride(2);
        const int64_t o_at = ((doc.row * T + doc.start) * heads + h) * D;
        const float *gd = gp + o_at, *od = op + o_at;
        float* lse_row = const_cast<float*>(lp) + (doc.row * heads + h) * T + doc.start;
        ops.row_dots(gd, od, heads * D, L, D, delta.data());  // delta_i = dO_i . O_i
        Head head{qd, q.stride(1), L, D, sc};
        scores(ops, head, kt.data(), p.data());
        ops.softmax_rows(p.data(), L, lse_row, false);
        // dP = dO @ V^T, the causal triangle's tiles, then dS = P * (dP - delta) in place.
        product(
            ops, L, Strided{gd, heads * D, 1}, vt.data(), L, ds.data(), L, 1.0f, false,
            [&](int64_t) { return Span{0, D}; },
            [&](int64_t i) { return std::min<int64_t>(L, i + kRows); });
        ops.softmax_gradient(p.data(), ds.data(), delta.data(), L);
        // dQ = scale * dS @ K
        product(
            ops, L, Strided{ds.data(), L, 1}, kp + k_at, k.stride(1), dqp + o_at, heads * D, sc,
            false,
            [&](int64_t i) { return Span{0, std::min<int64_t>(L, i + kRows)}; },
            [&](int64_t) { return D; });
        // dK += scale * dS^T @ Q and dV += P^T @ dO: row j sums over i >= j; the group's first
        // query head writes them.
        const bool add = h > kh * group;
        product(
            ops, L, Strided{ds.data(), 1, L}, qd, q.stride(1), dkp + kv_at, kv_heads * D, sc, add,
            [&](int64_t j) { return Span{j, L}; },
            [&](int64_t) { return D; });
        product(
            ops, L, Strided{p.data(), 1, L}, gd, heads * D, dvp + kv_at, kv_heads * D, 1.0f, add,
            [&](int64_t j) { return Span{j, L}; },
            [&](int64_t) { return D; });
      }
    }
  });
#endif
  return {dq, dk, dv};
}

}  // namespace

TORCH_LIBRARY(tunelab_attention, m) {
  m.def("forward(Tensor q, Tensor k, Tensor v, Tensor docs, float scale) -> (Tensor, Tensor)",
        &forward);
  m.def(
      "backward(Tensor grad, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor docs, "
      "float scale) -> (Tensor, Tensor, Tensor)",
      &backward);
  m.def("available() -> bool", &tunelab::has_avx2);
}
