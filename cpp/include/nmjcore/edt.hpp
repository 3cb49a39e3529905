// Exact Euclidean distance transform (EDT) of 1D, 2D and 3D label images.
//
// For every non-zero voxel: the distance to the nearest voxel whose value differs (binary
// mode: the nearest zero voxel; multi-label mode: the nearest voxel of another label,
// background included, as seung-lab/edt defines it). Zero voxels get 0. The image edge counts
// as background only with black_border; a voxel with nothing to measure to gets +inf.
//
// Algorithm: separable exact EDT. The x axis (contiguous) is a two-sweep 1D distance
// (Rosenfeld & Pfaltz 1966), cheaper than a parabola pass when every input is 0 or inf.
// The y and z axes are the lower envelope of parabolas (Felzenszwalb & Huttenlocher 2012,
// "Distance Transforms of Sampled Functions"), run separately on each maximal run of one
// label: the voxels just outside a run differ from it, so they are its nearest possible
// sites and bound it exactly, and nothing beyond them can be nearer.
//
// Strided axes are processed in blocks of neighbouring lines gathered into a small contiguous
// buffer, so each cache line read from memory serves a whole block of lines. In 3D the x and
// y passes run plane by plane (the plane stays in cache between them), and the square root is
// taken in the last pass rather than in a pass of its own.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "nmjcore/threads.hpp"

namespace nmjcore {

namespace edt_detail {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int64_t kBlock = 16;  // lines per block: 16 floats fill a cache line

// One contiguous row: squared distance along x, times wx^2. Each sweep counts up from the last
// boundary; starting from "one before the row" (0 with a black border, inf without) makes the
// edge need no test. In binary mode the count after a zero restarts by itself.
template <class T, bool Multi>
void row_pass(const T* label, float* out, int64_t n, float wx2, bool black_border) {
  const float outside = black_border ? 0.0f : kInf;
  float d = outside;
  T prev = n > 0 ? label[0] : T(0);
  for (int64_t i = 0; i < n; ++i) {
    const T l = label[i];
    d = (Multi && l != prev) ? 1.0f : d + 1.0f;
    d = l == 0 ? 0.0f : d;
    out[i] = d;
    prev = l;
  }
  d = outside;
  prev = n > 0 ? label[n - 1] : T(0);
  for (int64_t i = n - 1; i >= 0; --i) {
    const T l = label[i];
    d = (Multi && l != prev) ? 1.0f : d + 1.0f;
    d = l == 0 ? 0.0f : d;
    const float m = std::min(out[i], d);
    out[i] = m * m * wx2;  // inf * inf * w stays inf
    prev = l;
  }
}

// Lower envelope of the parabolas w2*(i - q)^2 + f[q] over one run [a, b) of a line, bounded by
// a zero-cost site at a-1 (when has_left) and at b (when has_right). Writes into out[a..b).
// v and z are scratch of at least (b - a + 1) entries; inv[d] = 1 / (2 * w2 * d) replaces the
// division in every intersection by a multiplication.
inline void envelope(const float* f, float* out, int64_t a, int64_t b, bool has_left,
                     bool has_right, float w2, const float* inv, int64_t* v, float* z) {
  int64_t k = -1;
  for (int64_t q = a; q < b; ++q) {
    const float fq = f[q];
    if (fq == kInf) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -kInf;
      z[1] = kInf;
      continue;
    }
    // Intersection of the parabolas rooted at v[k] and q, in voxel units; z[0] = -inf keeps
    // k from going below zero.
    float s;
    for (;;) {
      const int64_t p = v[k];
      s = (fq - f[p]) * inv[q - p] + 0.5f * static_cast<float>(q + p);
      if (s > z[k]) break;
      --k;
    }
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = kInf;
  }
  int64_t j = 0;
  for (int64_t i = a; i < b; ++i) {
    float d = kInf;
    if (k >= 0) {
      while (z[j + 1] < static_cast<float>(i)) ++j;
      const float t = static_cast<float>(i - v[j]);
      d = w2 * t * t + f[v[j]];
    }
    if (has_left) {
      const float t = static_cast<float>(i - a + 1);
      d = std::min(d, w2 * t * t);
    }
    if (has_right) {
      const float t = static_cast<float>(b - i);
      d = std::min(d, w2 * t * t);
    }
    out[i] = d;
  }
}

// One gathered line of length n: runs of one label (binary: runs of non-zero f) each get an
// envelope. f is read from `line`, the result written to `result`.
template <class T, bool Multi>
void line_pass(const float* line, const T* label, float* result, int64_t n, float w2,
               bool black_border, const float* inv, int64_t* v, float* z) {
  int64_t i = 0;
  while (i < n) {
    const bool background = Multi ? label[i] == 0 : line[i] == 0.0f;
    if (background) {
      result[i] = 0.0f;
      ++i;
      continue;
    }
    int64_t b = i + 1;
    if (Multi) {
      while (b < n && label[b] == label[i]) ++b;
    } else {
      while (b < n && line[b] != 0.0f) ++b;
    }
    envelope(line, result, i, b, i > 0 || black_border, b < n || black_border, w2, inv, v, z);
    i = b;
  }
}

// x = sqrt(x) over a buffer of non-negative values (or inf): SSE when there is SSE, as
// std::sqrt in a loop stays scalar for errno's sake.
inline void sqrt_inplace(float* x, int64_t n) {
  int64_t i = 0;
#if defined(__SSE__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// Per-thread buffers of the parabola pass along one axis of length n. Gathered lines lie
// `ld` apart: n rounded up to a cache line plus one more, so that the lines written
// side by side never share a cache set (with n a power of two they all would).
template <class T>
struct LineScratch {
  int64_t ld;
  std::vector<float> lines, result, z, inv;  // result: the block's output lines, ld apart
  std::vector<T> labels;
  std::vector<int64_t> v;

  LineScratch(int64_t n, float w2, bool multi)
      : ld((n + 15) / 16 * 16 + 16), lines(kBlock * ld), result(kBlock * ld), z(n + 2),
        inv(n + 1), v(n + 1) {
    if (multi) labels.resize(kBlock * ld);
    for (int64_t d = 1; d <= n; ++d) inv[d] = 1.0f / (2.0f * w2 * static_cast<float>(d));
  }
};

// The parabola pass over `width` (<= kBlock) neighbouring lines that start at f + base and step
// by axis_stride for n elements. The lines are gathered into a contiguous buffer, so each cache
// line read from memory serves `width` lines; with `root` the result is written as its square
// root (the last pass).
template <class T, bool Multi>
void block_pass(const T* label, float* f, int64_t base, int64_t width, int64_t axis_stride,
                int64_t n, float w2, bool black_border, bool root, LineScratch<T>& s) {
  // Gather: element i of line c goes to lines[c * ld + i].
  const int64_t ld = s.ld;
  for (int64_t i = 0; i < n; ++i) {
    const float* src = f + base + i * axis_stride;
    for (int64_t c = 0; c < width; ++c) s.lines[c * ld + i] = src[c];
    if (Multi) {
      const T* lsrc = label + base + i * axis_stride;
      for (int64_t c = 0; c < width; ++c) s.labels[c * ld + i] = lsrc[c];
    }
  }
  for (int64_t c = 0; c < width; ++c) {
    float* result = s.result.data() + c * ld;
    line_pass<T, Multi>(s.lines.data() + c * ld, Multi ? s.labels.data() + c * ld : nullptr,
                        result, n, w2, black_border, s.inv.data(), s.v.data(), s.z.data());
    if (root) sqrt_inplace(result, n);
  }
  for (int64_t i = 0; i < n; ++i) {
    float* dst = f + base + i * axis_stride;
    for (int64_t c = 0; c < width; ++c) dst[c] = s.result[c * ld + i];
  }
}

// The parabola pass along a strided axis. Lines start at o * outer_stride + x for o < n_outer,
// x < n_inner, and step by axis_stride for n elements.
template <class T, bool Multi>
void strided_pass(const T* label, float* f, int64_t n_outer, int64_t outer_stride,
                  int64_t n_inner, int64_t axis_stride, int64_t n, float w, bool black_border,
                  bool root, int threads) {
  const int64_t blocks_per_outer = (n_inner + kBlock - 1) / kBlock;
  const int64_t tasks = n_outer * blocks_per_outer;
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1));
  const int workers = worker_count(tasks, threads, grain);
  std::vector<LineScratch<T>> scratch(workers, LineScratch<T>(n, w * w, Multi));
  parallel_for(
      0, tasks, threads,
      [&](int64_t lo, int64_t hi, int worker) {
        for (int64_t t = lo; t < hi; ++t) {
          const int64_t o = t / blocks_per_outer;
          const int64_t x0 = (t % blocks_per_outer) * kBlock;
          block_pass<T, Multi>(label, f, o * outer_stride + x0, std::min(kBlock, n_inner - x0),
                               axis_stride, n, w * w, black_border, root, scratch[worker]);
        }
      },
      grain);
}

template <class T, bool Multi>
void edt_impl(const T* label, float* out, int ndim, int64_t nz, int64_t ny, int64_t nx, float wz,
              float wy, float wx, bool black_border, bool squared, int threads) {
  const int64_t rows = nz * ny;
  const float wx2 = wx * wx;
  const bool y_pass = ndim >= 2 && (ny > 1 || black_border);
  const bool z_pass = ndim >= 3 && (nz > 1 || black_border);
  const bool root_in_y = !squared && y_pass && !z_pass;
  const bool root_in_z = !squared && z_pass;
  if (y_pass && z_pass && nz >= 4 * resolve_threads(threads)) {
    // Plane by plane, x then y while the plane is in cache: one trip through memory saved.
    const int workers = worker_count(nz, threads);
    std::vector<LineScratch<T>> scratch(workers, LineScratch<T>(ny, wy * wy, Multi));
    parallel_for(0, nz, threads, [&](int64_t lo, int64_t hi, int worker) {
      for (int64_t zi = lo; zi < hi; ++zi) {
        const int64_t plane = zi * ny * nx;
        for (int64_t r = 0; r < ny; ++r) {
          row_pass<T, Multi>(label + plane + r * nx, out + plane + r * nx, nx, wx2, black_border);
        }
        for (int64_t x0 = 0; x0 < nx; x0 += kBlock) {
          block_pass<T, Multi>(label, out, plane + x0, std::min(kBlock, nx - x0), nx, ny, wy * wy,
                               black_border, false, scratch[worker]);
        }
      }
    });
  } else {
    parallel_for(
        0, rows, threads,
        [&](int64_t lo, int64_t hi, int) {
          for (int64_t r = lo; r < hi; ++r) {
            row_pass<T, Multi>(label + r * nx, out + r * nx, nx, wx2, black_border);
          }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(nx, 1)));
    if (y_pass) {
      strided_pass<T, Multi>(label, out, nz, ny * nx, nx, nx, ny, wy, black_border, root_in_y,
                             threads);
    }
  }
  if (z_pass) {
    strided_pass<T, Multi>(label, out, ny, nx, nx, ny * nx, nz, wz, black_border, root_in_z,
                           threads);
  }
  if (!squared && !root_in_y && !root_in_z) {
    const int64_t total = rows * nx;
    parallel_for(
        0, total, threads,
        [&](int64_t lo, int64_t hi, int) { sqrt_inplace(out + lo, hi - lo); },
        1 << 16);
  }
}

}  // namespace edt_detail

// Exact Euclidean distance transform of a (nz, ny, nx) C-contiguous label volume. ndim says
// which axes exist: a 2D image is (1, ny, nx) with ndim = 2, a 1D one (1, 1, nx) with ndim = 1;
// absent axes have no faces, so black_border does not apply to them.
//   label         input, nz*ny*nx values; 0 is background
//   out           output, nz*ny*nx float32 distances (squared when `squared`)
//   wz, wy, wx    physical voxel size per axis (any positive unit; distances come in it)
//   multi_label   distance to the nearest different value instead of the nearest zero
//   black_border  treat everything outside the volume as background
//   threads       worker threads (<= 0: all hardware threads)
template <class T>
void distance_transform(const T* label, float* out, int ndim, int64_t nz, int64_t ny, int64_t nx,
                        float wz, float wy, float wx, bool multi_label, bool black_border,
                        bool squared, int threads) {
  if (nz <= 0 || ny <= 0 || nx <= 0) return;
  if (multi_label) {
    edt_detail::edt_impl<T, true>(label, out, ndim, nz, ny, nx, wz, wy, wx, black_border, squared,
                                  threads);
  } else {
    edt_detail::edt_impl<T, false>(label, out, ndim, nz, ny, nx, wz, wy, wx, black_border, squared,
                                   threads);
  }
}

}  // namespace nmjcore
