// Bilateral filter of a 2D image (Tomasi & Manduchi, ICCV 1998), parameters as in OpenCV:
//
//   out[p] = sum_q w(p, q) in[q] / sum_q w(p, q)
//   w(p, q) = exp(-|q - p|^2 / (2 sigma_space^2) - (in[q] - in[p])^2 / (2 sigma_color^2))
//
// over the offsets q - p of a disk of `radius` (|q - p| <= radius), reading outside the image
// by mirroring without repeating the edge (OpenCV's BORDER_REFLECT_101, the default of
// cv2.bilateralFilter). uint8 output is rounded to nearest (ties to even).
//
// The loop order is OpenCV's: for every offset, one vectorised sweep over an output row that
// accumulates the weighted sum and the weight sum. Both dtypes run in float32 (uint8 is
// widened once into the padded copy) and compute the weight as one exp() of the summed
// exponents with a vectorisable polynomial (relative error ~2e-7), where OpenCV looks it up
// in a table (uint8) or interpolates one (float32).
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

// One offset's contribution to a row of float pixels: t = log2(w) = space + color * d^2.
template <bool Fused>
__attribute__((always_inline)) inline void accumulate_rows(
    const float* __restrict centre, const float* __restrict shifted, float space, float color,
    float* __restrict sum, float* __restrict weight, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float d = shifted[i] - centre[i];
    const float w = exp2_nonpositive<Fused>(madd<Fused>(color, d * d, space));
    sum[i] = madd<Fused>(w, shifted[i], sum[i]);
    weight[i] += w;
  }
}

#if NMJCORE_MULTIVERSION
NMJCORE_TARGET("default")
inline void accumulate_float(const float* centre, const float* shifted, float space, float color,
                             float* sum, float* weight, int64_t n) {
  accumulate_rows<false>(centre, shifted, space, color, sum, weight, n);
}
NMJCORE_TARGET("avx2,fma")
inline void accumulate_float(const float* centre, const float* shifted, float space, float color,
                             float* sum, float* weight, int64_t n) {
  accumulate_rows<true>(centre, shifted, space, color, sum, weight, n);
}
NMJCORE_TARGET("avx512f,avx512bw,avx2,fma")
inline void accumulate_float(const float* centre, const float* shifted, float space, float color,
                             float* sum, float* weight, int64_t n) {
  accumulate_rows<true>(centre, shifted, space, color, sum, weight, n);
}
#else
inline void accumulate_float(const float* centre, const float* shifted, float space, float color,
                             float* sum, float* weight, int64_t n) {
  accumulate_rows<false>(centre, shifted, space, color, sum, weight, n);
}
#endif

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

  // The image in float32 with a mirrored margin of `radius` on every side.
  const int64_t py = ny + 2 * radius, px = nx + 2 * radius;
  std::vector<float> padded(py * px);
  parallel_for(0, py, threads, [&](int64_t lo, int64_t hi, int) {
    for (int64_t y = lo; y < hi; ++y) {
      const T* row = in + border_index(y - radius, ny, Border::mirror) * nx;
      float* dst = padded.data() + y * px;
      for (int64_t x = 0; x < nx; ++x) dst[radius + x] = static_cast<float>(row[x]);
      for (int64_t x = 0; x < radius; ++x) {
        dst[x] = static_cast<float>(row[border_index(x - radius, nx, Border::mirror)]);
        dst[radius + nx + x] = static_cast<float>(row[border_index(nx + x, nx, Border::mirror)]);
      }
    }
  }, 64);

  const int workers = worker_count(ny, threads, 8);
  std::vector<std::vector<float>> scratch(workers, std::vector<float>(2 * nx));
  parallel_for(0, ny, threads, [&](int64_t lo, int64_t hi, int w) {
    float* sum = scratch[w].data();
    float* weight = sum + nx;
    for (int64_t y = lo; y < hi; ++y) {
      std::fill(sum, sum + 2 * nx, 0.0f);
      const float* centre = padded.data() + (y + radius) * px + radius;
      for (const Offset& o : offsets) {
        accumulate_float(centre, centre + o.dy * px + o.dx, o.space, color, sum, weight, nx);
      }
      normalise(sum, weight, out + y * nx, nx);
    }
  }, 8);
}

}  // namespace nmjcore
