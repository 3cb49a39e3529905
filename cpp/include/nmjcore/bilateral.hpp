// Bilateral filter of a 2D image (Tomasi & Manduchi, ICCV 1998), parameters as in OpenCV:
//
//   out[p] = sum_q w(p, q) in[q] / sum_q w(p, q)
//   w(p, q) = exp(-|q - p|^2 / (2 sigma_space^2) - (in[q] - in[p])^2 / (2 sigma_color^2))
//
// over the offsets q - p of a disk of `radius` (|q - p| <= radius), reading outside the image
// by mirroring without repeating the edge (OpenCV's BORDER_REFLECT_101, the default of
// cv2.bilateralFilter). uint8 output is rounded to nearest (ties to even).
//
// The weight is symmetric, w(p, q) = w(q, p), so each pair of pixels is weighed once (the
// offsets of half the disk) and counts for both ends: about half the exp() calls of the
// direct sum. For every offset one vectorised sweep along a row computes the weights and
// adds them to both ends' sums. Both dtypes run in float32 (uint8 rows are widened as they
// are read) and exp() is a vectorisable polynomial (relative error ~2e-7), where OpenCV looks
// it up in a table (uint8) or interpolates one (float32).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "nmjcore/border.hpp"
#include "nmjcore/simd.hpp"
#include "nmjcore/threads.hpp"

namespace nmjcore {

namespace bilateral_detail {

// a * b + c, fused where the target has FMA (one rounding, one instruction).
template <bool Fused>
__attribute__((always_inline)) inline float madd(float a, float b, float c) {
  if constexpr (Fused) {
    return __builtin_fmaf(a, b, c);
  } else {
    return a * b + c;
  }
}

// 2^t for t in [-126, 0]: t = n + f with n integer and |f| <= 1/2; 2^f by its degree-6
// Taylor series (relative error < 2e-7), 2^n by writing the exponent bits.
template <bool Fused>
__attribute__((always_inline)) inline float exp2_nonpositive(float t) {
  constexpr float round_magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // Clamp to -126 on the bits: a float compare would block vectorisation (it may trap), and
  // for t <= 0 the unsigned bit patterns order like the magnitudes (+0 lowest).
  const uint32_t floor_bits = __builtin_bit_cast(uint32_t, -126.0f);
  const uint32_t bits = __builtin_bit_cast(uint32_t, t);
  t = __builtin_bit_cast(float, bits > floor_bits ? floor_bits : bits);
  const float shifted = t + round_magic;
  const float f = t - (shifted - round_magic);
  constexpr float c1 = 0.693147181f, c2 = 0.240226507f, c3 = 0.0555041087f,
                  c4 = 0.00961812911f, c5 = 0.00133335581f, c6 = 0.000154035304f;
  float p = madd<Fused>(f, c6, c5);
  p = madd<Fused>(f, p, c4);
  p = madd<Fused>(f, p, c3);
  p = madd<Fused>(f, p, c2);
  p = madd<Fused>(f, p, c1);
  p = madd<Fused>(f, p, 1.0f);
  // The integer n sits in the low mantissa bits of `shifted`; 2^n has exponent bits n + 127.
  constexpr int32_t bias = __builtin_bit_cast(int32_t, round_magic) - 127;
  const float scale = __builtin_bit_cast(float, (__builtin_bit_cast(int32_t, shifted) - bias) << 23);
  return p * scale;
}

// The weights of one offset along a row: w[i] = 2^(space + color * (b[i] - a[i])^2).
template <bool Fused>
__attribute__((always_inline)) inline void pair_weights_impl(
    const float* __restrict a, const float* __restrict b, float space, float color,
    float* __restrict w, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float d = b[i] - a[i];
    w[i] = exp2_nonpositive<Fused>(madd<Fused>(color, d * d, space));
  }
}

// sum[i] += w[i] * value[i], weight[i] += w[i].
template <bool Fused>
__attribute__((always_inline)) inline void accumulate_impl(
    float* __restrict sum, float* __restrict weight, const float* __restrict w,
    const float* __restrict value, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    sum[i] = madd<Fused>(w[i], value[i], sum[i]);
    weight[i] += w[i];
  }
}

// Both ends of the pairs (p, q = p + offset) whose rows differ (they cannot alias): the
// weight goes to p with q's value and to q with p's value.
template <bool Fused>
__attribute__((always_inline)) inline void pairs_impl(
    const float* __restrict p, const float* __restrict q, float space, float color,
    float* __restrict p_sum, float* __restrict p_weight, float* __restrict q_sum,
    float* __restrict q_weight, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float d = q[i] - p[i];
    const float w = exp2_nonpositive<Fused>(madd<Fused>(color, d * d, space));
    p_sum[i] = madd<Fused>(w, q[i], p_sum[i]);
    p_weight[i] += w;
    q_sum[i] = madd<Fused>(w, p[i], q_sum[i]);
    q_weight[i] += w;
  }
}

NMJCORE_FMA_VERSIONS(pairs, pairs_impl,
                     (const float* p, const float* q, float space, float color, float* p_sum,
                      float* p_weight, float* q_sum, float* q_weight, int64_t n),
                     (p, q, space, color, p_sum, p_weight, q_sum, q_weight, n))
NMJCORE_FMA_VERSIONS(pair_weights, pair_weights_impl,
                     (const float* a, const float* b, float space, float color, float* w,
                      int64_t n),
                     (a, b, space, color, w, n))
NMJCORE_FMA_VERSIONS(accumulate, accumulate_impl,
                     (float* sum, float* weight, const float* w, const float* value, int64_t n),
                     (sum, weight, w, value, n))

NMJCORE_SIMD_CLONES
inline void normalise(const float* __restrict sum, const float* __restrict weight,
                      float* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = sum[i] / weight[i];
}

NMJCORE_SIMD_CLONES
inline void normalise(const float* __restrict sum, const float* __restrict weight,
                      uint8_t* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = std::nearbyint(sum[i] / weight[i]);
    out[i] = static_cast<uint8_t>(v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v));
  }
}

struct Offset {
  int64_t dy, dx;
  float space;  // log2 of the space weight
};

}  // namespace bilateral_detail

// Bilateral filter of a (ny, nx) C-contiguous uint8 or float image into out (same shape,
// not overlapping in). radius >= 1 in pixels; sigma_color in intensity units; sigma_space
// in pixels (both > 0).
template <class T>
void bilateral_filter(const T* in, T* out, int64_t ny, int64_t nx, int64_t radius,
                      double sigma_color, double sigma_space, int threads) {
  static_assert(std::is_same_v<T, uint8_t> || std::is_same_v<T, float>,
                "bilateral_filter takes uint8 or float images");
  using namespace bilateral_detail;
  const double log2e = 1.4426950408889634;
  const double space_coeff = -0.5 / (sigma_space * sigma_space) * log2e;
  const float color = static_cast<float>(-0.5 / (sigma_color * sigma_color) * log2e);
  std::vector<Offset> offsets;
  for (int64_t dy = -radius; dy <= radius; ++dy) {
    for (int64_t dx = -radius; dx <= radius; ++dx) {
      const int64_t r2 = dy * dy + dx * dx;
      if (r2 > radius * radius) continue;
      offsets.push_back({dy, dx, static_cast<float>(static_cast<double>(r2) * space_coeff)});
    }
  }

  // Rows of the image in float32 with a mirrored margin of `radius` on every side.
  const int64_t px = nx + 2 * radius;
  auto pad_rows = [&](int64_t y_first, int64_t count, float* dst) {
    for (int64_t i = 0; i < count; ++i, dst += px) {
      const T* row = in + border_index(y_first + i, ny, Border::mirror) * nx;
      for (int64_t x = 0; x < nx; ++x) dst[radius + x] = static_cast<float>(row[x]);
      for (int64_t x = 0; x < radius; ++x) {
        dst[x] = static_cast<float>(row[border_index(x - radius, nx, Border::mirror)]);
        dst[radius + nx + x] = static_cast<float>(row[border_index(nx + x, nx, Border::mirror)]);
      }
    }
  };

  // w(p, q) = w(q, p): every pair of pixels is weighed once, with the offsets of half the
  // disk, and counts for both ends. Output rows go in chunks of kChunk; a chunk takes the
  // pairs that start on its rows or on the `radius` rows above it (border rows included, they
  // hold the mirrored neighbours of the first rows) and end in it. Chunks are independent, so
  // the result does not depend on the thread count.
  std::vector<Offset> half;
  for (const Offset& o : offsets) {
    if (o.dy > 0 || (o.dy == 0 && o.dx > 0)) half.push_back(o);
  }
  constexpr int64_t kChunk = 64;
  const int64_t chunks = (ny + kChunk - 1) / kChunk;
  const int workers = worker_count(chunks, threads);
  // Accumulator rows span [-radius, nx + radius) so that pairs ending outside the image land
  // in margins that are never read; one extra row takes the ends outside the chunk.
  const int64_t stride = nx + 2 * radius;
  struct Scratch {
    std::vector<float> image, sum, weight, w;
  };
  std::vector<Scratch> scratch(workers);
  for (Scratch& sc : scratch) {
    sc.image.resize((kChunk + 2 * radius) * px);
    sc.sum.resize((kChunk + 1) * stride);
    sc.weight.resize((kChunk + 1) * stride);
    sc.w.resize(stride);
  }
  parallel_for(0, chunks, threads, [&](int64_t lo, int64_t hi, int worker) {
    Scratch& sc = scratch[worker];
    float* wx = sc.w.data() + radius;  // wx[x]: weight of the pair starting at x
    for (int64_t c = lo; c < hi; ++c) {
      const int64_t y0 = c * kChunk, y1 = std::min(ny, y0 + kChunk);
      pad_rows(y0 - radius, y1 - y0 + 2 * radius, sc.image.data());
      // x = 0 of image row y (y in [y0 - radius, y1 + radius))
      auto image_row = [&](int64_t y) { return sc.image.data() + (y - y0 + radius) * px + radius; };
      auto sum_row = [&](int64_t y) {
        return sc.sum.data() + (y >= y0 && y < y1 ? y - y0 : kChunk) * stride + radius;
      };
      auto weight_row = [&](int64_t y) {
        return sc.weight.data() + (y >= y0 && y < y1 ? y - y0 : kChunk) * stride + radius;
      };
      for (int64_t y = y0; y < y1; ++y) {  // every pixel's own weight, 1
        std::copy(image_row(y), image_row(y) + nx, sum_row(y));
        std::fill_n(weight_row(y), nx, 1.0f);
      }
      for (int64_t y = y0 - radius; y < y1; ++y) {
        const float* p_row = image_row(y);
        for (const Offset& o : half) {
          const int64_t yq = y + o.dy;
          if (y < y0 && yq < y0) continue;  // neither end in this chunk
          const float* q_row = p_row + o.dy * px + o.dx;  // q = p + (dy, dx)
          const int64_t x_lo = std::min<int64_t>(0, -o.dx);
          const int64_t x_hi = std::max<int64_t>(nx, nx - o.dx);
          const int64_t n = x_hi - x_lo;
          if (o.dy > 0) {
            pairs(p_row + x_lo, q_row + x_lo, o.space, color, sum_row(y) + x_lo,
                  weight_row(y) + x_lo, sum_row(yq) + x_lo + o.dx, weight_row(yq) + x_lo + o.dx,
                  n);
          } else {  // both ends on one row: two sweeps, as the ends overlap
            pair_weights(p_row + x_lo, q_row + x_lo, o.space, color, wx + x_lo, n);
            accumulate(sum_row(y) + x_lo, weight_row(y) + x_lo, wx + x_lo, q_row + x_lo, n);
            accumulate(sum_row(y) + x_lo + o.dx, weight_row(y) + x_lo + o.dx, wx + x_lo,
                       p_row + x_lo, n);
          }
        }
      }
      for (int64_t y = y0; y < y1; ++y) normalise(sum_row(y), weight_row(y), out + y * nx, nx);
    }
  });
}

}  // namespace nmjcore
