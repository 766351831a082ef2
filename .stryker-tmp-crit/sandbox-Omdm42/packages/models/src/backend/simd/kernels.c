// eff's SIMD kernels for the tfjs wasm backend: run in place on tfjs's own heap (memory imported), so this file
// must not use a stack, globals or static data. Pointers are byte offsets of float32 tensors in that heap.
// Build: see build.sh (clang --target=wasm32 -msimd128, no libc).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// exp(-a) for a >= 0 (a < 87, else 0): a = n*ln2 - r, e^-a = 2^-n * e^r, |r| <= ln2/2, e^r by a degree-5
// near-minimax polynomial (relative error 8e-8, fitted on Chebyshev nodes); 2^-n built from the exponent bits.
static inline v128_t exp_neg(v128_t a) {
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(a, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)), a);
  r = wasm_f32x4_add(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(0.008291717f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.04191503f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.16667663f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.499989f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.99999964f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0000001f));
  const v128_t small = wasm_f32x4_lt(a, wasm_f32x4_splat(87.0f));
  const v128_t ni = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_min(n, wasm_f32x4_splat(126.0f)));
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_sub(wasm_i32x4_splat(127), ni), 23);
  return wasm_v128_and(wasm_f32x4_mul(p, scale), small);
}

// log1p(t) for t in [0, 1] as t * g(t), g a degree-8 near-minimax fit of log1p(t)/t (relative error 4e-8):
// no division.
static inline v128_t log1p_unit(v128_t t) {
  v128_t g = wasm_f32x4_splat(0.0051058256f);
  g = wasm_f32x4_add(wasm_f32x4_mul(g, t), wasm_f32x4_splat(-0.028991956f));
  g = wasm_f32x4_add(wasm_f32x4_mul(g, t), wasm_f32x4_splat(0.07738074f));
  g = wasm_f32x4_add(wasm_f32x4_mul(g, t), wasm_f32x4_splat(-0.135906f));
  g = wasm_f32x4_add(wasm_f32x4_mul(g, t), wasm_f32x4_splat(0.1907131f));
  g = wasm_f32x4_add(wasm_f32x4_mul(g, t), wasm_f32x4_splat(-0.24833946f));
  g = wasm_f32x4_add(wasm_f32x4_mul(g, t), wasm_f32x4_splat(0.33317935f));
  g = wasm_f32x4_add(wasm_f32x4_mul(g, t), wasm_f32x4_splat(-0.49999437f));
  g = wasm_f32x4_add(wasm_f32x4_mul(g, t), wasm_f32x4_splat(0.99999994f));
  return wasm_f32x4_mul(t, g);
}

// softplus(x) = max(x, 0) + log1p(exp(-|x|)); NaN stays NaN (f32x4.max propagates it).
static inline v128_t softplus4(v128_t x) {
  return wasm_f32x4_add(wasm_f32x4_max(x, wasm_f32x4_splat(0.0f)), log1p_unit(exp_neg(wasm_f32x4_abs(x))));
}

EXPORT(softplus) void softplus(const float* x, float* y, int n) {
  int i = 0;
  // Four independent vectors per iteration: the polynomial chains are latency-bound one at a time.
  for (; i + 16 <= n; i += 16) {
    const v128_t a = softplus4(wasm_v128_load(x + i)), b = softplus4(wasm_v128_load(x + i + 4));
    const v128_t c = softplus4(wasm_v128_load(x + i + 8)), d = softplus4(wasm_v128_load(x + i + 12));
    wasm_v128_store(y + i, a);
    wasm_v128_store(y + i + 4, b);
    wasm_v128_store(y + i + 8, c);
    wasm_v128_store(y + i + 12, d);
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, softplus4(wasm_v128_load(x + i)));
  // Tail one lane at a time: a 4-float array here would live on a stack this module must not have.
  for (; i < n; i++) y[i] = wasm_f32x4_extract_lane(softplus4(wasm_f32x4_splat(x[i])), 0);
}

// The 2x2 window selection of max_pool_grad_2x2 below for the last `n` (1 or 2) channels, loaded into the low
// lanes of zeroed vectors and stored lane by lane.
static inline v128_t load_part(const float* p, int n) {
  return n == 2 ? wasm_v128_load64_zero(p) : wasm_v128_load32_zero(p);
}
static inline void store_part(float* p, v128_t v, int n) {
  if (n == 2) wasm_v128_store64_lane(p, v, 0);
  else wasm_v128_store32_lane(p, v, 0);
}
static inline void pool_grad_2x2_part(const float* xi, const float* g, float* dxi, int i00, int i01, int i10,
                                      int i11, int c, int n) {
  const v128_t a = load_part(xi + i00 + c, n), bb = load_part(xi + i01 + c, n);
  const v128_t d = load_part(xi + i10 + c, n), e = load_part(xi + i11 + c, n);
  const v128_t gv = load_part(g + c, n);
  const v128_t take_b = wasm_f32x4_gt(bb, a);
  const v128_t best_ab = wasm_v128_bitselect(bb, a, take_b);
  const v128_t take_d = wasm_f32x4_gt(d, best_ab);
  const v128_t best_abd = wasm_v128_bitselect(d, best_ab, take_d);
  const v128_t take_e = wasm_f32x4_gt(e, best_abd);
  const v128_t sel_d = wasm_v128_andnot(take_d, take_e);
  const v128_t sel_b = wasm_v128_andnot(wasm_v128_andnot(take_b, take_d), take_e);
  const v128_t sel_a = wasm_v128_not(wasm_v128_or(wasm_v128_or(take_b, take_d), take_e));
  store_part(dxi + i00 + c, wasm_v128_and(gv, sel_a), n);
  store_part(dxi + i01 + c, wasm_v128_and(gv, sel_b), n);
  store_part(dxi + i10 + c, wasm_v128_and(gv, sel_d), n);
  store_part(dxi + i11 + c, wasm_v128_and(gv, take_e), n);
}

// MaxPoolGrad for 2x2 windows, stride 2, no padding (LeNet's pooling), NHWC, four channels at a time: each window's
// gradient goes to its first maximum in row-major order (ties as the cpu backend breaks them). Windows do not
// overlap, so every dx element is written once; rows/columns past the last window are zeroed.
EXPORT(max_pool_grad_2x2)
void max_pool_grad_2x2(const float* x, const float* dy, float* dx, int batch, int in_h, int in_w, int channels,
                       int out_h, int out_w) {
  const int row = in_w * channels;
  for (int b = 0; b < batch; b++) {
    const float* xi = x + b * in_h * row;
    float* dxi = dx + b * in_h * row;
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        const int i00 = 2 * oy * row + 2 * ox * channels;
        const int i01 = i00 + channels, i10 = i00 + row, i11 = i10 + channels;
        const float* g = dy + ((b * out_h + oy) * out_w + ox) * channels;
        int c = 0;
        for (; c + 4 <= channels; c += 4) {
          const v128_t a = wasm_v128_load(xi + i00 + c), bb = wasm_v128_load(xi + i01 + c);
          const v128_t d = wasm_v128_load(xi + i10 + c), e = wasm_v128_load(xi + i11 + c);
          const v128_t gv = wasm_v128_load(g + c);
          // Strict '>' scan: a wins ties with everything, then bb, then d.
          const v128_t take_b = wasm_f32x4_gt(bb, a);
          const v128_t best_ab = wasm_v128_bitselect(bb, a, take_b);
          const v128_t take_d = wasm_f32x4_gt(d, best_ab);
          const v128_t best_abd = wasm_v128_bitselect(d, best_ab, take_d);
          const v128_t take_e = wasm_f32x4_gt(e, best_abd);
          const v128_t sel_e = take_e;
          const v128_t sel_d = wasm_v128_andnot(take_d, take_e);
          const v128_t sel_b = wasm_v128_andnot(wasm_v128_andnot(take_b, take_d), take_e);
          const v128_t sel_a = wasm_v128_not(wasm_v128_or(wasm_v128_or(take_b, take_d), take_e));
          wasm_v128_store(dxi + i00 + c, wasm_v128_and(gv, sel_a));
          wasm_v128_store(dxi + i01 + c, wasm_v128_and(gv, sel_b));
          wasm_v128_store(dxi + i10 + c, wasm_v128_and(gv, sel_d));
          wasm_v128_store(dxi + i11 + c, wasm_v128_and(gv, sel_e));
        }
        // Two or one channels left (LeNet-k has 6k): half or quarter vectors, not a scalar scan.
        if (c + 2 <= channels) {
          pool_grad_2x2_part(xi, g, dxi, i00, i01, i10, i11, c, 2);
          c += 2;
        }
        if (c < channels) pool_grad_2x2_part(xi, g, dxi, i00, i01, i10, i11, c, 1);
      }
      // An odd width leaves a last column no window covers.
      for (int x = 2 * out_w * channels; x < row; x++) {
        dxi[2 * oy * row + x] = 0.0f;
        dxi[(2 * oy + 1) * row + x] = 0.0f;
      }
    }
    for (int i = 2 * out_h * row; i < in_h * row; i++) dxi[i] = 0.0f;
  }
}

// MaxPoolGrad, any window/stride/padding, NHWC: dx[first strict max of each window] += dy[window]; dx must be
// zeroed by the caller.
EXPORT(max_pool_grad)
void max_pool_grad(const float* x, const float* dy, float* dx, int batch, int in_h, int in_w, int channels,
                   int out_h, int out_w, int filter_h, int filter_w, int stride_h, int stride_w, int pad_top,
                   int pad_left) {
  const int row = in_w * channels;
  for (int b = 0; b < batch; b++) {
    const float* xi = x + b * in_h * row;
    float* dxi = dx + b * in_h * row;
    for (int oy = 0; oy < out_h; oy++) {
      const int y0 = oy * stride_h - pad_top;
      const int ys = y0 < 0 ? 0 : y0;
      const int ye = y0 + filter_h > in_h ? in_h : y0 + filter_h;
      for (int ox = 0; ox < out_w; ox++) {
        const int x0 = ox * stride_w - pad_left;
        const int xs = x0 < 0 ? 0 : x0;
        const int xe = x0 + filter_w > in_w ? in_w : x0 + filter_w;
        const float* g = dy + ((b * out_h + oy) * out_w + ox) * channels;
        for (int c = 0; c < channels; c++) {
          float best = -__builtin_inff();
          int at = -1;
          for (int y = ys; y < ye; y++) {
            for (int xx = xs; xx < xe; xx++) {
              const int i = y * row + xx * channels + c;
              const float v = xi[i];
              if (v > best) {
                best = v;
                at = i;
              }
            }
          }
          if (at >= 0) dxi[at] += g[c];
        }
      }
    }
  }
}

// Transposed patch matrix of a conv input, for the filter gradient as one GEMM: cols[r][q] with
// r = (i, j, ci) over the filter taps (fh*fw*ci rows) and q = (b, oy, ox) over output pixels, holding
// x[b, oy*sh + i - pad_top, ox*sw + j - pad_left, ci] or 0 outside the image. Then dW = cols x dy[q][co].
EXPORT(im2col_t)
void im2col_t(const float* x, float* cols, int batch, int in_h, int in_w, int in_c, int out_h, int out_w,
              int filter_h, int filter_w, int stride_h, int stride_w, int pad_top, int pad_left) {
  const int q_count = batch * out_h * out_w;
  for (int i = 0; i < filter_h; i++) {
    for (int j = 0; j < filter_w; j++) {
      // Output columns lo..hi read inside the image; outside them the patch is zero padding.
      const int first = j - pad_left;
      int lo = first >= 0 ? 0 : (-first + stride_w - 1) / stride_w;
      int hi = in_w - first <= 0 ? 0 : (in_w - first + stride_w - 1) / stride_w;
      if (hi > out_w) hi = out_w;
      if (lo > hi) lo = hi;
      const int step = stride_w * in_c;
      int c = 0;
      // Four channels per load: one 16-byte read of x feeds four rows of cols.
      for (; c + 4 <= in_c; c += 4) {
        float* d0 = cols + ((i * filter_w + j) * in_c + c) * q_count;
        float* d1 = d0 + q_count;
        float* d2 = d1 + q_count;
        float* d3 = d2 + q_count;
        for (int b = 0; b < batch; b++) {
          for (int oy = 0; oy < out_h; oy++, d0 += out_w, d1 += out_w, d2 += out_w, d3 += out_w) {
            const int y = oy * stride_h + i - pad_top;
            const int l = (y < 0 || y >= in_h) ? hi : lo;
            for (int ox = 0; ox < l; ox++) d0[ox] = d1[ox] = d2[ox] = d3[ox] = 0.0f;
            const float* xr = x + ((b * in_h + y) * in_w + first) * in_c + c;
            for (int ox = l; ox < hi; ox++) {
              const v128_t v = wasm_v128_load(xr + ox * step);
              d0[ox] = wasm_f32x4_extract_lane(v, 0);
              d1[ox] = wasm_f32x4_extract_lane(v, 1);
              d2[ox] = wasm_f32x4_extract_lane(v, 2);
              d3[ox] = wasm_f32x4_extract_lane(v, 3);
            }
            for (int ox = hi; ox < out_w; ox++) d0[ox] = d1[ox] = d2[ox] = d3[ox] = 0.0f;
          }
        }
      }
      for (; c < in_c; c++) {
        float* dst = cols + ((i * filter_w + j) * in_c + c) * q_count;
        for (int b = 0; b < batch; b++) {
          for (int oy = 0; oy < out_h; oy++, dst += out_w) {
            const int y = oy * stride_h + i - pad_top;
            const int l = (y < 0 || y >= in_h) ? hi : lo;
            for (int ox = 0; ox < l; ox++) dst[ox] = 0.0f;
            const float* xr = x + ((b * in_h + y) * in_w + first) * in_c + c;
            if (step == 1) {
              for (int ox = l; ox < hi; ox++) dst[ox] = xr[ox];
            } else {
              for (int ox = l; ox < hi; ox++) dst[ox] = xr[ox * step];
            }
            for (int ox = hi; ox < out_w; ox++) dst[ox] = 0.0f;
          }
        }
      }
    }
  }
}

// Scatter-adds patch gradients back onto the input, for the input gradient as one GEMM: cols[q][r] with
// q = (b, oy, ox) and r = (i, j, ci) is dy[q][co] x W[r][co]^T; dx[b, oy*sh + i - pad_top, ox*sw + j - pad_left, ci]
// accumulates it. dx must be zeroed by the caller.
// Many channels: the taps j_start..j_end of a filter row land on one contiguous run of dx (NHWC) and come from
// one contiguous run of the patch, a single vectorisable add per filter row.
static void col2im_runs(const float* cols, float* dx, int batch, int in_h, int in_w, int in_c, int out_h,
                        int out_w, int filter_h, int filter_w, int stride_h, int stride_w, int pad_top,
                        int pad_left) {
  const int r_count = filter_h * filter_w * in_c;
  for (int b = 0; b < batch; b++) {
    float* dxb = dx + b * in_h * in_w * in_c;
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        const float* src = cols + ((b * out_h + oy) * out_w + ox) * r_count;
        const int x0 = ox * stride_w - pad_left;
        const int j_start = x0 < 0 ? -x0 : 0;
        const int j_end = x0 + filter_w > in_w ? in_w - x0 : filter_w;
        if (j_start >= j_end) continue;
        const int run = (j_end - j_start) * in_c;
        for (int i = 0; i < filter_h; i++) {
          const int y = oy * stride_h + i - pad_top;
          if (y < 0 || y >= in_h) continue;
          float* d = dxb + (y * in_w + x0 + j_start) * in_c;
          const float* s = src + (i * filter_w + j_start) * in_c;
          for (int k = 0; k < run; k++) d[k] += s[k];
        }
      }
    }
  }
}

EXPORT(col2im)
void col2im(const float* cols, float* dx, int batch, int in_h, int in_w, int in_c, int out_h, int out_w,
            int filter_h, int filter_w, int stride_h, int stride_w, int pad_top, int pad_left) {
  const int r_count = filter_h * filter_w * in_c;
  if (in_c >= 4) {
    col2im_runs(cols, dx, batch, in_h, in_w, in_c, out_h, out_w, filter_h, filter_w, stride_h, stride_w, pad_top,
                pad_left);
    return;
  }
  // Few channels: runs would be a handful of floats, so walk each (filter tap, channel) along the output row.
  for (int b = 0; b < batch; b++) {
    float* dxb = dx + b * in_h * in_w * in_c;
    for (int oy = 0; oy < out_h; oy++) {
      const float* row = cols + (b * out_h + oy) * out_w * r_count;
      for (int i = 0; i < filter_h; i++) {
        const int y = oy * stride_h + i - pad_top;
        if (y < 0 || y >= in_h) continue;
        for (int j = 0; j < filter_w; j++) {
          // Output columns lo..hi land inside the image (the rest fell on padding).
          const int first = j - pad_left;
          int lo = first >= 0 ? 0 : (-first + stride_w - 1) / stride_w;
          int hi = in_w - first <= 0 ? 0 : (in_w - first + stride_w - 1) / stride_w;
          if (hi > out_w) hi = out_w;
          if (lo >= hi) continue;
          float* d = dxb + (y * in_w + first) * in_c;
          const float* s = row + (i * filter_w + j) * in_c;
          const int d_step = stride_w * in_c;
          for (int c = 0; c < in_c; c++) {
            for (int ox = lo; ox < hi; ox++) d[ox * d_step + c] += s[ox * r_count + c];
          }
        }
      }
    }
  }
}

// y[c] = sum over r of x[r][c] for a rows x cols matrix: a Sum over the leading axes, as every bias gradient is.
// Accumulates in float64, four columns per pass, so long columns (200k rows for LeNet's conv1) lose no precision.
EXPORT(sum_leading)
void sum_leading(const float* x, float* y, int rows, int cols) {
  int c = 0;
  for (; c + 4 <= cols; c += 4) {
    v128_t lo = wasm_f64x2_splat(0.0), hi = wasm_f64x2_splat(0.0);
    const float* p = x + c;
    for (int r = 0; r < rows; r++, p += cols) {
      const v128_t v = wasm_v128_load(p);
      lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(v));
      hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
    }
    y[c] = (float)wasm_f64x2_extract_lane(lo, 0);
    y[c + 1] = (float)wasm_f64x2_extract_lane(lo, 1);
    y[c + 2] = (float)wasm_f64x2_extract_lane(hi, 0);
    y[c + 3] = (float)wasm_f64x2_extract_lane(hi, 1);
  }
  for (; c < cols; c++) {
    double s = 0.0;
    const float* p = x + c;
    for (int r = 0; r < rows; r++, p += cols) s += *p;
    y[c] = (float)s;
  }
}

// Dropout multiplier: out[i] = scale if u_i < keep else 0, u_i uniform in [0, 1) from a counter-based hash of
// (seed, i) (murmur3's finaliser over a Weyl sequence), so lanes are independent and a seed replays its mask.
static inline v128_t mix32(v128_t h) {
  h = wasm_v128_xor(h, wasm_u32x4_shr(h, 16));
  h = wasm_i32x4_mul(h, wasm_i32x4_splat((int)0x85ebca6bu));
  h = wasm_v128_xor(h, wasm_u32x4_shr(h, 13));
  h = wasm_i32x4_mul(h, wasm_i32x4_splat((int)0xc2b2ae35u));
  return wasm_v128_xor(h, wasm_u32x4_shr(h, 16));
}

EXPORT(dropout_mask)
void dropout_mask(float* out, int n, unsigned seed_a, unsigned seed_b, float keep, float scale) {
  // Two rounds with independent seeds: one 32-bit finaliser alone leaves seed-to-seed correlations.
  const v128_t golden = wasm_i32x4_splat((int)0x9e3779b9u);
  const v128_t sa = wasm_i32x4_splat((int)seed_a), sb = wasm_i32x4_splat((int)seed_b);
  const v128_t keep_v = wasm_f32x4_splat(keep), scale_v = wasm_f32x4_splat(scale);
  const v128_t unit = wasm_f32x4_splat(1.0f / 16777216.0f);
  v128_t idx = wasm_i32x4_make(0, 1, 2, 3);
  const v128_t four = wasm_i32x4_splat(4);
  for (int i = 0; i < n; i += 4, idx = wasm_i32x4_add(idx, four)) {
    v128_t h = mix32(wasm_v128_xor(wasm_i32x4_mul(idx, golden), sa));
    h = mix32(wasm_v128_xor(h, sb));
    const v128_t u = wasm_f32x4_mul(wasm_f32x4_convert_u32x4(wasm_u32x4_shr(h, 8)), unit);
    const v128_t m = wasm_v128_and(scale_v, wasm_f32x4_lt(u, keep_v));
    if (i + 4 <= n) {
      wasm_v128_store(out + i, m);
    } else {
      out[i] = wasm_f32x4_extract_lane(m, 0);
      if (i + 1 < n) out[i + 1] = wasm_f32x4_extract_lane(m, 1);
      if (i + 2 < n) out[i + 2] = wasm_f32x4_extract_lane(m, 2);
    }
  }
}

// out[i] = x[i] + pattern[i % period], period a multiple of 4: a bias add over the last axis, with the bias tiled
// by the caller to a whole number of vectors (6 channels -> 12 floats), so every row needs no scalar tail.
EXPORT(add_tiled) void add_tiled(const float* x, const float* pattern, float* out, int n, int period) {
  int i = 0;
  for (; i + period <= n; i += period) {
    for (int k = 0; k < period; k += 4) {
      wasm_v128_store(out + i + k, wasm_f32x4_add(wasm_v128_load(x + i + k), wasm_v128_load(pattern + k)));
    }
  }
  for (int k = 0; i < n; i++, k++) out[i] = x[i] + pattern[k];
}

// Copies image b of a single-channel NHWC batch into a zero-padded plane: row r of the plane is input row
// r - pad_top, column c is input column c - pad_left; the plane is rows x stride floats.
static void pad_plane(const float* x, float* plane, int in_h, int in_w, int rows, int stride, int pad_top,
                      int pad_left) {
  for (int r = 0; r < rows; r++) {
    float* dst = plane + r * stride;
    const int y = r - pad_top;
    if (y < 0 || y >= in_h) {
      for (int c = 0; c < stride; c++) dst[c] = 0.0f;
      continue;
    }
    const float* src = x + y * in_w;
    for (int c = 0; c < stride; c++) {
      const int xx = c - pad_left;
      dst[c] = (xx >= 0 && xx < in_w) ? src[xx] : 0.0f;
    }
  }
}

// One output row segment of a single-input-channel convolution, stride 1: G output channels from co, four
// output pixels ox..ox+3, accumulated as acc[g] over every filter tap (one vector load of the padded plane
// per tap, the weight splatted), then written channel-last.
#define CONV_C1_GROUP(G)                                                                                      \
  static inline void conv_c1_group##G(const float* plane, int stride, const float* w, float* out, int out_c,  \
                                      int co, int fh, int fw, int ox, int valid) {                          \
    v128_t acc[G];                                                                                            \
    _Pragma("clang loop unroll(full)") for (int g = 0; g < G; g++) acc[g] = wasm_f32x4_splat(0.0f);                                             \
    for (int i = 0; i < fh; i++) {                                                                            \
      const float* row = plane + i * stride + ox;                                                           \
      const float* wr = w + i * fw * out_c + co;                                                            \
      for (int j = 0; j < fw; j++) {                                                                          \
        const v128_t xv = wasm_v128_load(row + j);                                                          \
        _Pragma("clang loop unroll(full)") for (int g = 0; g < G; g++)                                                                         \
          acc[g] = wasm_f32x4_add(acc[g], wasm_f32x4_mul(xv, wasm_v128_load32_splat(wr + j * out_c + g))); \
      }                                                                                                       \
    }                                                                                                         \
    float* o = out + ox * out_c + co;                                                                         \
    _Pragma("clang loop unroll(full)") for (int g = 0; g < G; g++) {                                        \
      /* Lane k is rotated to lane 0 before each store: a variable lane index would need a stack. */        \
      v128_t v = acc[g];                                                                                      \
      for (int p = 0; p < valid; p++, v = wasm_i32x4_shuffle(v, v, 1, 2, 3, 0))                               \
        o[p * out_c + g] = wasm_f32x4_extract_lane(v, 0);                                                   \
    }                                                                                                         \
  }
CONV_C1_GROUP(8)
CONV_C1_GROUP(6)
CONV_C1_GROUP(4)
CONV_C1_GROUP(2)
CONV_C1_GROUP(1)

// Conv2D of a single-channel NHWC input, stride 1, no dilation (LeNet's first layer on MNIST): XNNPACK's
// convolution spends most SIMD lanes on the one input channel; here lanes run along the output row.
// scratch holds one padded plane: (out_h + fh - 1) x stride floats, stride = round_up(out_w, 4) + fw - 1.
// with_softplus: each finished output row (out_w x out_c floats, still in L1) becomes softplus(row + bias), the
// bias tiled along the row once per call after the padded plane in scratch (out_w x out_c more floats).
static inline void conv2d_c1_modes(const float* x, const float* w, const float* bias, float* out, float* scratch,
                                   int batch, int in_h, int in_w, int out_h, int out_w, int out_c, int fh, int fw,
                                   int pad_top, int pad_left, int with_softplus) {
  const int stride = ((out_w + 3) & ~3) + fw - 1;
  const int rows = out_h + fh - 1;
  const int row_floats = out_w * out_c;
  float* bias_row = scratch + rows * stride;
  if (with_softplus)
    for (int k = 0, c = 0; k < row_floats; k++, c = c + 1 == out_c ? 0 : c + 1) bias_row[k] = bias[c];
  for (int b = 0; b < batch; b++) {
    pad_plane(x + b * in_h * in_w, scratch, in_h, in_w, rows, stride, pad_top, pad_left);
    for (int oy = 0; oy < out_h; oy++) {
      const float* plane = scratch + oy * stride;
      float* orow = out + (b * out_h + oy) * out_w * out_c;
      for (int ox = 0; ox < out_w; ox += 4) {
        const int valid = out_w - ox < 4 ? out_w - ox : 4;
        int co = 0;
        // LeNet-k has 6k filters: groups of six share each input load (8 + 4 + 2 would load it three times).
        if (out_c % 6 == 0) {
          for (; co < out_c; co += 6) conv_c1_group6(plane, stride, w, orow, out_c, co, fh, fw, ox, valid);
          continue;
        }
        for (; co + 8 <= out_c; co += 8) conv_c1_group8(plane, stride, w, orow, out_c, co, fh, fw, ox, valid);
        if (co + 4 <= out_c) {
          conv_c1_group4(plane, stride, w, orow, out_c, co, fh, fw, ox, valid);
          co += 4;
        }
        if (co + 2 <= out_c) {
          conv_c1_group2(plane, stride, w, orow, out_c, co, fh, fw, ox, valid);
          co += 2;
        }
        if (co < out_c) conv_c1_group1(plane, stride, w, orow, out_c, co, fh, fw, ox, valid);
      }
      if (with_softplus) {
        int k = 0;
        for (; k + 8 <= row_floats; k += 8) {
          const v128_t a = softplus4(wasm_f32x4_add(wasm_v128_load(orow + k), wasm_v128_load(bias_row + k)));
          const v128_t b = softplus4(wasm_f32x4_add(wasm_v128_load(orow + k + 4), wasm_v128_load(bias_row + k + 4)));
          wasm_v128_store(orow + k, a);
          wasm_v128_store(orow + k + 4, b);
        }
        for (; k < row_floats; k++)
          orow[k] = wasm_f32x4_extract_lane(softplus4(wasm_f32x4_splat(orow[k] + bias_row[k])), 0);
      }
    }
  }
}

EXPORT(conv2d_c1)
void conv2d_c1(const float* x, const float* w, float* out, float* scratch, int batch, int in_h, int in_w,
               int out_h, int out_w, int out_c, int fh, int fw, int pad_top, int pad_left) {
  conv2d_c1_modes(x, w, w, out, scratch, batch, in_h, in_w, out_h, out_w, out_c, fh, fw, pad_top, pad_left, 0);
}

// softplus(conv2d_c1(x, w) + bias): LeNet's first layer in one pass over memory. scratch: the padded plane, then
// out_w x out_c floats.
EXPORT(conv2d_c1_bias_softplus)
void conv2d_c1_bias_softplus(const float* x, const float* w, const float* bias, float* out, float* scratch,
                             int batch, int in_h, int in_w, int out_h, int out_w, int out_c, int fh, int fw,
                             int pad_top, int pad_left) {
  conv2d_c1_modes(x, w, bias, out, scratch, batch, in_h, in_w, out_h, out_w, out_c, fh, fw, pad_top, pad_left, 1);
}

// Filter gradient of the same convolution: dW[i][j][co] = sum over b, oy, ox of plane_b[oy + i][ox + j] *
// dy[b][oy][ox][co]. Per image, dy is first transposed to channel planes (rows padded with zeros to whole
// vectors), so each tap is a dot product along output rows, four pixels a lane; dW accumulates over images.
// scratch: the padded plane, then out_c x out_h x round_up(out_w, 4) floats of transposed dy.
#define CONV_C1_FILTER_GROUP(G)                                                                               \
  static inline void conv_c1_filter_group##G(const float* plane, int stride, const float* dyt, int dyt_row,   \
                                             int dyt_plane, float* dw, int out_c, int co, int out_h,        \
                                             int fh, int fw) {                                              \
    for (int i = 0; i < fh; i++) {                                                                            \
      for (int j = 0; j < fw; j++) {                                                                          \
        v128_t acc[G];                                                                                        \
        _Pragma("clang loop unroll(full)") for (int g = 0; g < G; g++) acc[g] = wasm_f32x4_splat(0.0f);                                         \
        for (int oy = 0; oy < out_h; oy++) {                                                                  \
          const float* xr = plane + (oy + i) * stride + j;                                                  \
          const float* dr = dyt + co * dyt_plane + oy * dyt_row;                                            \
          for (int ox = 0; ox < dyt_row; ox += 4) {                                                         \
            const v128_t xv = wasm_v128_load(xr + ox);                                                      \
            _Pragma("clang loop unroll(full)") for (int g = 0; g < G; g++)                                                                     \
              acc[g] = wasm_f32x4_add(acc[g], wasm_f32x4_mul(xv, wasm_v128_load(dr + g * dyt_plane + ox))); \
          }                                                                                                   \
        }                                                                                                     \
        float* d = dw + (i * fw + j) * out_c + co;                                                           \
        _Pragma("clang loop unroll(full)") for (int g = 0; g < G; g++) {                                                                       \
          const v128_t s = wasm_f32x4_add(acc[g], wasm_i32x4_shuffle(acc[g], acc[g], 2, 3, 0, 1));          \
          d[g] += wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1);                              \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }
CONV_C1_FILTER_GROUP(8)
CONV_C1_FILTER_GROUP(6)
CONV_C1_FILTER_GROUP(4)
CONV_C1_FILTER_GROUP(2)
CONV_C1_FILTER_GROUP(1)

// dw must be zeroed by the caller.
EXPORT(conv2d_c1_filter)
void conv2d_c1_filter(const float* x, const float* dy, float* dw, float* scratch, int batch, int in_h, int in_w,
                      int out_h, int out_w, int out_c, int fh, int fw, int pad_top, int pad_left) {
  const int dyt_row = (out_w + 3) & ~3;
  const int stride = dyt_row + fw - 1;
  const int rows = out_h + fh - 1;
  float* dyt = scratch + rows * stride;
  const int dyt_plane = out_h * dyt_row;
  for (int b = 0; b < batch; b++) {
    pad_plane(x + b * in_h * in_w, scratch, in_h, in_w, rows, stride, pad_top, pad_left);
    const float* g = dy + b * out_h * out_w * out_c;
    for (int co = 0; co < out_c; co++) {
      for (int oy = 0; oy < out_h; oy++) {
        float* dst = dyt + co * dyt_plane + oy * dyt_row;
        const float* src = g + oy * out_w * out_c + co;
        int ox = 0;
        for (; ox < out_w; ox++) dst[ox] = src[ox * out_c];
        for (; ox < dyt_row; ox++) dst[ox] = 0.0f;
      }
    }
    int co = 0;
    if (out_c % 6 == 0) {
      for (; co < out_c; co += 6)
        conv_c1_filter_group6(scratch, stride, dyt, dyt_row, dyt_plane, dw, out_c, co, out_h, fh, fw);
      continue;
    }
    for (; co + 8 <= out_c; co += 8)
      conv_c1_filter_group8(scratch, stride, dyt, dyt_row, dyt_plane, dw, out_c, co, out_h, fh, fw);
    if (co + 4 <= out_c) {
      conv_c1_filter_group4(scratch, stride, dyt, dyt_row, dyt_plane, dw, out_c, co, out_h, fh, fw);
      co += 4;
    }
    if (co + 2 <= out_c) {
      conv_c1_filter_group2(scratch, stride, dyt, dyt_row, dyt_plane, dw, out_c, co, out_h, fh, fw);
      co += 2;
    }
    if (co < out_c) conv_c1_filter_group1(scratch, stride, dyt, dyt_row, dyt_plane, dw, out_c, co, out_h, fh, fw);
  }
}

// Filter gradient of a Conv2D whose output channels come in whole vectors (LeNet's conv2: 6 -> 16 channels):
// dW[i][j][ci][co] = sum over b, oy, ox of x[b][oy*sh + i - pad_top][ox*sw + j - pad_left][ci] * dy[b][oy][ox][co].
// Per image (x and dy stay in L1), per filter tap (i, j) and block of three input channels, the 3 x 16
// products of each output pixel go to twelve vector accumulators: no im2col matrix is written.
#define CONV_FILTER_BLOCK(C, V)                                                                               \
  static inline void conv_filter_block_##C##_##V(const float* xb, const float* dyb, float* dw, int in_h,      \
                                                 int in_w, int in_c, int out_h, int out_w, int out_c,         \
                                                 int stride_h, int stride_w, int pad_top, int i, int first,   \
                                                 int lo, int hi, int ci, int co) {                            \
    v128_t acc[C][V];                                                                                         \
    _Pragma("clang loop unroll(full)") for (int c = 0; c < C; c++)                                           \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[c][v] = wasm_f32x4_splat(0.0f);     \
    for (int oy = 0; oy < out_h; oy++) {                                                                      \
      const int y = oy * stride_h + i - pad_top;                                                              \
      if (y < 0 || y >= in_h) continue;                                                                       \
      const float* xr = xb + (y * in_w + first) * in_c + ci;                                                  \
      const float* dr = dyb + oy * out_w * out_c + co;                                                        \
      for (int ox = lo; ox < hi; ox++) {                                                                      \
        const float* xp = xr + ox * stride_w * in_c;                                                          \
        const float* dp = dr + ox * out_c;                                                                    \
        v128_t d[V];                                                                                          \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) d[v] = wasm_v128_load(dp + 4 * v);     \
        _Pragma("clang loop unroll(full)") for (int c = 0; c < C; c++) {                                     \
          const v128_t xv = wasm_v128_load32_splat(xp + c);                                                   \
          _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++)                                     \
            acc[c][v] = wasm_f32x4_add(acc[c][v], wasm_f32x4_mul(xv, d[v]));                                  \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
    _Pragma("clang loop unroll(full)") for (int c = 0; c < C; c++) {                                         \
      float* o = dw + (ci + c) * out_c + co;                                                                  \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++)                                         \
        wasm_v128_store(o + 4 * v, wasm_f32x4_add(wasm_v128_load(o + 4 * v), acc[c][v]));                    \
    }                                                                                                         \
  }
CONV_FILTER_BLOCK(3, 4)
CONV_FILTER_BLOCK(1, 4)
CONV_FILTER_BLOCK(3, 1)
CONV_FILTER_BLOCK(1, 1)

// out_c must be a multiple of 4; dw must be zeroed by the caller.
EXPORT(conv2d_filter_vec)
void conv2d_filter_vec(const float* x, const float* dy, float* dw, int batch, int in_h, int in_w, int in_c,
                       int out_h, int out_w, int out_c, int filter_h, int filter_w, int stride_h, int stride_w,
                       int pad_top, int pad_left) {
  for (int b = 0; b < batch; b++) {
    const float* xb = x + b * in_h * in_w * in_c;
    const float* dyb = dy + b * out_h * out_w * out_c;
    for (int i = 0; i < filter_h; i++) {
      for (int j = 0; j < filter_w; j++) {
        // Output columns lo..hi read inside the image for this tap.
        const int first = j - pad_left;
        int lo = first >= 0 ? 0 : (-first + stride_w - 1) / stride_w;
        int hi = in_w - first <= 0 ? 0 : (in_w - first + stride_w - 1) / stride_w;
        if (hi > out_w) hi = out_w;
        if (lo >= hi) continue;
        float* dwt = dw + (i * filter_w + j) * in_c * out_c;
        int co = 0;
        for (; co + 16 <= out_c; co += 16) {
          int ci = 0;
          for (; ci + 3 <= in_c; ci += 3)
            conv_filter_block_3_4(xb, dyb, dwt, in_h, in_w, in_c, out_h, out_w, out_c, stride_h, stride_w, pad_top,
                                  i, first, lo, hi, ci, co);
          for (; ci < in_c; ci++)
            conv_filter_block_1_4(xb, dyb, dwt, in_h, in_w, in_c, out_h, out_w, out_c, stride_h, stride_w, pad_top,
                                  i, first, lo, hi, ci, co);
        }
        for (; co < out_c; co += 4) {
          int ci = 0;
          for (; ci + 3 <= in_c; ci += 3)
            conv_filter_block_3_1(xb, dyb, dwt, in_h, in_w, in_c, out_h, out_w, out_c, stride_h, stride_w, pad_top,
                                  i, first, lo, hi, ci, co);
          for (; ci < in_c; ci++)
            conv_filter_block_1_1(xb, dyb, dwt, in_h, in_w, in_c, out_h, out_w, out_c, stride_h, stride_w, pad_top,
                                  i, first, lo, hi, ci, co);
        }
      }
    }
  }
}

// One Adam step for one variable, in the order of tfjs's AdamOptimizer so float32 results agree:
// m' = m*b1 + g*(1-b1); v' = v*b2 + g^2*(1-b2); w' = (m'/c1) / (sqrt(v'/c2) + eps) * (-lr) + w,
// c1 = 1 - b1^t, c2 = 1 - b2^t. One pass instead of ~12 kernels per variable.
static inline void adam4(const float* w, const float* m, const float* v, const float* g, float* w_out,
                         float* m_out, float* v_out, v128_t b1, v128_t nb1, v128_t b2, v128_t nb2, v128_t c1,
                         v128_t c2, v128_t eps, v128_t neg_lr) {
  const v128_t gv = wasm_v128_load(g);
  const v128_t mn = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m), b1), wasm_f32x4_mul(gv, nb1));
  const v128_t vn =
      wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v), b2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), nb2));
  const v128_t den = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vn, c2)), eps);
  const v128_t step = wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_div(mn, c1), den), neg_lr);
  wasm_v128_store(m_out, mn);
  wasm_v128_store(v_out, vn);
  wasm_v128_store(w_out, wasm_f32x4_add(step, wasm_v128_load(w)));
}

EXPORT(adam_update)
void adam_update(const float* w, const float* m, const float* v, const float* g, float* w_out, float* m_out,
                 float* v_out, int n, float beta1, float one_minus_beta1, float beta2, float one_minus_beta2,
                 float one_minus_acc1, float one_minus_acc2, float epsilon, float learning_rate) {
  // 1 - beta comes from the caller, rounded once from double as tfjs rounds its scalar.
  const v128_t b1 = wasm_f32x4_splat(beta1), nb1 = wasm_f32x4_splat(one_minus_beta1);
  const v128_t b2 = wasm_f32x4_splat(beta2), nb2 = wasm_f32x4_splat(one_minus_beta2);
  const v128_t c1 = wasm_f32x4_splat(one_minus_acc1), c2 = wasm_f32x4_splat(one_minus_acc2);
  const v128_t eps = wasm_f32x4_splat(epsilon), neg_lr = wasm_f32x4_splat(-learning_rate);
  int i = 0;
  for (; i + 4 <= n; i += 4)
    adam4(w + i, m + i, v + i, g + i, w_out + i, m_out + i, v_out + i, b1, nb1, b2, nb2, c1, c2, eps, neg_lr);
  // Scalar tail, same operations and order.
  for (; i < n; i++) {
    const float mn = m[i] * beta1 + g[i] * one_minus_beta1;
    const float vn = v[i] * beta2 + (g[i] * g[i]) * one_minus_beta2;
    m_out[i] = mn;
    v_out[i] = vn;
    w_out[i] = ((mn / one_minus_acc1) / (__builtin_sqrtf(vn / one_minus_acc2) + epsilon)) * (-learning_rate) + w[i];
  }
}

// Input gradient of a stride-1 Conv2D without padding (LeNet's conv2): for each output pixel and filter row i,
// the fw x in_c patch gradient lands on one contiguous run of dx (NHWC), so run += sum over co of
// dy[p][co] * wt[i][co][run], with wt the filter transposed by the caller to [fh][out_c][run padded to whole
// vectors with zeros]. No patch-gradient matrix is written (the GEMM path writes out_pixels x fh*fw*in_c floats
// and reads them back in col2im). dx must be zeroed by the caller.
#define CONV_INPUT_CHUNK(V)                                                                                   \
  static inline void conv_input_chunk##V(const float* g, const float* w, float* d, int out_c, int run_v,      \
                                         int left) {                                                          \
    v128_t acc[V];                                                                                            \
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[v] = wasm_f32x4_splat(0.0f);          \
    for (int co = 0; co < out_c; co++) {                                                                      \
      const v128_t s = wasm_v128_load32_splat(g + co);                                                        \
      const float* wr = w + co * run_v;                                                                       \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++)                                         \
        acc[v] = wasm_f32x4_add(acc[v], wasm_f32x4_mul(s, wasm_v128_load(wr + 4 * v)));                      \
    }                                                                                                         \
    /* left = floats of the run from d on; the last vector may hold fewer than four. */                      \
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) {                                         \
      const int n = left - 4 * v;                                                                             \
      if (n >= 4) {                                                                                           \
        wasm_v128_store(d + 4 * v, wasm_f32x4_add(wasm_v128_load(d + 4 * v), acc[v]));                       \
      } else {                                                                                                \
        v128_t a = acc[v];                                                                                    \
        for (int k = 0; k < n; k++, a = wasm_i32x4_shuffle(a, a, 1, 2, 3, 0))                                 \
          d[4 * v + k] += wasm_f32x4_extract_lane(a, 0);                                                      \
      }                                                                                                       \
    }                                                                                                         \
  }
CONV_INPUT_CHUNK(8)
CONV_INPUT_CHUNK(4)
CONV_INPUT_CHUNK(2)
CONV_INPUT_CHUNK(1)

EXPORT(conv2d_input_direct)
void conv2d_input_direct(const float* dy, const float* wt, float* dx, int batch, int in_h, int in_w, int in_c,
                         int out_h, int out_w, int out_c, int filter_h, int filter_w) {
  const int run = filter_w * in_c;
  const int run_v = (run + 3) & ~3;
  for (int b = 0; b < batch; b++) {
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        const float* g = dy + ((b * out_h + oy) * out_w + ox) * out_c;
        for (int i = 0; i < filter_h; i++) {
          float* d = dx + ((b * in_h + oy + i) * in_w + ox) * in_c;
          const float* w = wt + i * out_c * run_v;
          int f = 0;
          for (; f + 32 <= run_v; f += 32) conv_input_chunk8(g, w + f, d + f, out_c, run_v, run - f);
          if (f + 16 <= run_v) {
            conv_input_chunk4(g, w + f, d + f, out_c, run_v, run - f);
            f += 16;
          }
          if (f + 8 <= run_v) {
            conv_input_chunk2(g, w + f, d + f, out_c, run_v, run - f);
            f += 8;
          }
          if (f < run_v) conv_input_chunk1(g, w + f, d + f, out_c, run_v, run - f);
        }
      }
    }
  }
}

// MaxPool, 2x2 windows, stride 2, no padding, NHWC: y = the largest of the four values by a strict '>' scan from
// -Infinity, as the cpu backend scans (NaN never wins). Four channels at a time; the last 1-2 channels (LeNet-k
// has 6k) as half/quarter vectors.
static inline v128_t max4_from_neg_inf(v128_t a, v128_t b, v128_t d, v128_t e) {
  v128_t best = wasm_f32x4_splat(-__builtin_inff());
  best = wasm_v128_bitselect(a, best, wasm_f32x4_gt(a, best));
  best = wasm_v128_bitselect(b, best, wasm_f32x4_gt(b, best));
  best = wasm_v128_bitselect(d, best, wasm_f32x4_gt(d, best));
  return wasm_v128_bitselect(e, best, wasm_f32x4_gt(e, best));
}

EXPORT(max_pool_2x2)
void max_pool_2x2(const float* x, float* y, int batch, int in_h, int in_w, int channels, int out_h, int out_w) {
  const int row = in_w * channels;
  for (int b = 0; b < batch; b++) {
    const float* xi = x + b * in_h * row;
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        const float* p00 = xi + 2 * oy * row + 2 * ox * channels;
        const float* p01 = p00 + channels;
        const float* p10 = p00 + row;
        const float* p11 = p10 + channels;
        float* o = y + ((b * out_h + oy) * out_w + ox) * channels;
        int c = 0;
        for (; c + 4 <= channels; c += 4) {
          wasm_v128_store(o + c, max4_from_neg_inf(wasm_v128_load(p00 + c), wasm_v128_load(p01 + c),
                                                   wasm_v128_load(p10 + c), wasm_v128_load(p11 + c)));
        }
        if (c + 2 <= channels) {
          store_part(o + c, max4_from_neg_inf(load_part(p00 + c, 2), load_part(p01 + c, 2), load_part(p10 + c, 2),
                                              load_part(p11 + c, 2)), 2);
          c += 2;
        }
        if (c < channels) {
          store_part(o + c, max4_from_neg_inf(load_part(p00 + c, 1), load_part(p01 + c, 1), load_part(p10 + c, 1),
                                              load_part(p11 + c, 1)), 1);
        }
      }
    }
  }
}

// Conv2D at stride 1 without padding, out_c a multiple of 4 (LeNet's conv2 and wider), bias added when has_bias:
// for an output pixel the fw x in_c inputs of filter row i are one contiguous run of x (NHWC), and the filter's
// out_c values for run element r are contiguous too, so P pixels x V vectors of output channels accumulate in
// registers, each weight vector serving P pixels and each input value (splatted) V vectors.
#define CONV_FWD_BLOCK(P, V)                                                                                  \
  static inline void conv_fwd_block_##P##_##V(const float* x, const float* w, const float* bias,             \
                                              int has_bias, float* out, int in_w, int in_c, int out_c,       \
                                              int fh, int run, int co) {                                     \
    v128_t acc[P][V];                                                                                         \
    _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) {                                         \
      const v128_t b = has_bias ? wasm_v128_load(bias + co + 4 * v) : wasm_f32x4_splat(0.0f);               \
      _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) acc[p][v] = b;                          \
    }                                                                                                         \
    for (int i = 0; i < fh; i++) {                                                                            \
      const float* xr = x + i * in_w * in_c;                                                                  \
      const float* wr = w + i * run * out_c + co;                                                             \
      for (int r = 0; r < run; r++) {                                                                         \
        v128_t wv[V];                                                                                         \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) wv[v] =                               \
            wasm_v128_load(wr + r * out_c + 4 * v);                                                           \
        _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++) {                                     \
          const v128_t s = wasm_v128_load32_splat(xr + p * in_c + r);                                         \
          _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[p][v] =                         \
              wasm_f32x4_add(acc[p][v], wasm_f32x4_mul(s, wv[v]));                                            \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
    _Pragma("clang loop unroll(full)") for (int p = 0; p < P; p++)                                           \
      _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++)                                         \
        wasm_v128_store(out + p * out_c + co + 4 * v, acc[p][v]);                                             \
  }
CONV_FWD_BLOCK(3, 4)
CONV_FWD_BLOCK(2, 4)
CONV_FWD_BLOCK(1, 4)
CONV_FWD_BLOCK(3, 1)
CONV_FWD_BLOCK(2, 1)
CONV_FWD_BLOCK(1, 1)

#define CONV_FWD_PIXELS(P)                                                                                    \
  static inline void conv_fwd_pixels##P(const float* x, const float* w, const float* bias, int has_bias,     \
                                        float* out, int in_w, int in_c, int out_c, int fh, int run) {        \
    int co = 0;                                                                                               \
    for (; co + 16 <= out_c; co += 16)                                                                        \
      conv_fwd_block_##P##_4(x, w, bias, has_bias, out, in_w, in_c, out_c, fh, run, co);                     \
    for (; co < out_c; co += 4) conv_fwd_block_##P##_1(x, w, bias, has_bias, out, in_w, in_c, out_c, fh, run, co); \
  }
CONV_FWD_PIXELS(3)
CONV_FWD_PIXELS(2)
CONV_FWD_PIXELS(1)

EXPORT(conv2d_vec)
void conv2d_vec(const float* x, const float* w, const float* bias, float* out, int batch, int in_h, int in_w,
                int in_c, int out_h, int out_w, int out_c, int filter_h, int filter_w, int has_bias) {
  const int run = filter_w * in_c;
  for (int b = 0; b < batch; b++) {
    for (int oy = 0; oy < out_h; oy++) {
      const float* xrow = x + (b * in_h + oy) * in_w * in_c;
      float* orow = out + (b * out_h + oy) * out_w * out_c;
      int ox = 0;
      for (; ox + 3 <= out_w; ox += 3)
        conv_fwd_pixels3(xrow + ox * in_c, w, bias, has_bias, orow + ox * out_c, in_w, in_c, out_c, filter_h, run);
      if (ox + 2 <= out_w) {
        conv_fwd_pixels2(xrow + ox * in_c, w, bias, has_bias, orow + ox * out_c, in_w, in_c, out_c, filter_h, run);
        ox += 2;
      }
      if (ox < out_w)
        conv_fwd_pixels1(xrow + ox * in_c, w, bias, has_bias, orow + ox * out_c, in_w, in_c, out_c, filter_h, run);
    }
  }
}

// The gradient of y = softplus(x) from y alone: dy/dx = sigmoid(x) = 1 - exp(-y) (y > 0), so a fused
// conv + softplus need not keep its pre-activation. Below y = 1/64 the difference cancels, so there
// 1 - exp(-y) = y (1 - y/2 + y^2/6 - y^3/24) (error < 1e-9).
static inline v128_t one_minus_exp_neg(v128_t y) {
  const v128_t direct = wasm_f32x4_sub(wasm_f32x4_splat(1.0f), exp_neg(y));
  v128_t p = wasm_f32x4_splat(-1.0f / 24.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), wasm_f32x4_splat(-0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), wasm_f32x4_splat(1.0f));
  const v128_t series = wasm_f32x4_mul(p, y);
  return wasm_v128_bitselect(series, direct, wasm_f32x4_lt(y, wasm_f32x4_splat(1.0f / 64.0f)));
}

EXPORT(softplus_grad_from_output)
void softplus_grad_from_output(const float* dy, const float* y, float* dx, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t a = wasm_f32x4_mul(wasm_v128_load(dy + i), one_minus_exp_neg(wasm_v128_load(y + i)));
    const v128_t b = wasm_f32x4_mul(wasm_v128_load(dy + i + 4), one_minus_exp_neg(wasm_v128_load(y + i + 4)));
    wasm_v128_store(dx + i, a);
    wasm_v128_store(dx + i + 4, b);
  }
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), one_minus_exp_neg(wasm_v128_load(y + i))));
  for (; i < n; i++)
    dx[i] = dy[i] * wasm_f32x4_extract_lane(one_minus_exp_neg(wasm_f32x4_splat(y[i])), 0);
}

// A GEMM is conv_fwd_block with one filter row: a row of a is a pixel's run of k inputs (pixel stride k), b the
// k x n filter, c rows the output pixels; these shapes (4 rows x 8 columns) suit the dense layers.
CONV_FWD_BLOCK(4, 2)
CONV_FWD_BLOCK(4, 1)
CONV_FWD_BLOCK(1, 2)

// Columns past the last whole vector, one at a time.
static inline void gemm_tail_columns(const float* a, const float* b, const float* bias, int has_bias, float* c,
                                     int rows, int k, int n, int j) {
  for (int r = 0; r < rows; r++)
    for (int jj = j; jj < n; jj++) {
      float sum = has_bias ? bias[jj] : 0.0f;
      for (int kk = 0; kk < k; kk++) sum += a[r * k + kk] * b[kk * n + jj];
      c[r * n + jj] = sum;
    }
}

// c = a . b (+ bias): a rows x k, b k x n, c rows x n, all row-major (a dense layer's forward pass and its input
// gradient with b = W transposed). Rows are independent, so helper threads split them.
EXPORT(gemm_rows)
void gemm_rows(const float* a, const float* b, const float* bias, float* c, int rows, int k, int n, int has_bias) {
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    int j = 0;
    for (; j + 8 <= n; j += 8) conv_fwd_block_4_2(a + r * k, b, bias, has_bias, c + r * n, 0, k, n, 1, k, j);
    for (; j + 4 <= n; j += 4) conv_fwd_block_4_1(a + r * k, b, bias, has_bias, c + r * n, 0, k, n, 1, k, j);
    if (j < n) gemm_tail_columns(a + r * k, b, bias, has_bias, c + r * n, 4, k, n, j);
  }
  for (; r < rows; r++) {
    int j = 0;
    for (; j + 8 <= n; j += 8) conv_fwd_block_1_2(a + r * k, b, bias, has_bias, c + r * n, 0, k, n, 1, k, j);
    for (; j + 4 <= n; j += 4) conv_fwd_block_1_1(a + r * k, b, bias, has_bias, c + r * n, 0, k, n, 1, k, j);
    if (j < n) gemm_tail_columns(a + r * k, b, bias, has_bias, c + r * n, 1, k, n, j);
  }
}
