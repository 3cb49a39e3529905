// Flat greyscale (and binary, as 0/1 uint8) erosion and dilation of 2D and 3D images.
//
// erosion  out[p] = min { in[p + d - c] : footprint[d] }
// dilation out[p] = max { in[p - d + c] : footprint[d] }
// with d running over the footprint's indices and c = size / 2 per axis: the conventions of
// scipy.ndimage.grey_erosion / grey_dilation (and binary_*), even-sized footprints included.
// A dilation is an erosion-like pass ("rank pass") of the other order with the footprint
// mirrored and its origin at size - 1 - size / 2, so one pass serves both.
//
// Two strategies, both vectorised along x:
//  * a full box is separable: one sliding-window pass per axis. Along y and z the window
//    slides over whole rows/planes with van Herk / Gil-Werman (van Herk, Pattern Recognit.
//    Lett. 13, 1992; Gil & Werman, IEEE PAMI 15, 1993): three min/max per element whatever
//    the window length. Along x (contiguous) windows up to kDoublingMax use doubling (a
//    sparse table: log2(k) + 1 vector ops, faster than scalar van Herk at those lengths)
//    and longer ones scalar van Herk, so the cost is bounded independently of the box size.
//  * any other footprint is cut into runs of consecutive elements along x. For each padded
//    source row the sparse table gives the window min/max of every run length at one op per
//    length; each output row is then the min/max over the runs' shifted rows (one op per
//    run and element). A disk of radius r costs about 2r + 1 + log2(2r + 1) + r ops per
//    element instead of the (2r + 1)^2 of a direct scan.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "nmjcore/border.hpp"
#include "nmjcore/simd.hpp"
#include "nmjcore/threads.hpp"

namespace nmjcore {

namespace morph_detail {

constexpr int64_t kDoublingMax = 128;  // longest x window done by doubling
constexpr int64_t kTileRows = 32;      // output rows per task in the run-based pass
constexpr int64_t kStrip = 8192;       // elements per task in the z sliding pass

template <class T, bool Max>
inline T pick(T a, T b) {
  if constexpr (Max) {
    return a < b ? b : a;
  } else {
    return b < a ? b : a;
  }
}

// dst[i] = pick(a[i], b[i]): the loop every pass spends its time in.
template <class T, bool Max>
NMJCORE_SIMD_CLONES void combine(T* __restrict dst, const T* __restrict a, const T* __restrict b,
                                 int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = pick<T, Max>(a[i], b[i]);
}

// acc[i] = pick(acc[i], b[i]).
template <class T, bool Max>
NMJCORE_SIMD_CLONES void accumulate(T* __restrict acc, const T* __restrict b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] = pick<T, Max>(acc[i], b[i]);
}

// dst[i] = pick(a[i], b[i], c[i]).
template <class T, bool Max>
NMJCORE_SIMD_CLONES void combine3(T* __restrict dst, const T* __restrict a,
                                  const T* __restrict b, const T* __restrict c, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = pick<T, Max>(pick<T, Max>(a[i], b[i]), c[i]);
}

// The two steps of van Herk over vectors: a running min/max g absorbs the next input and is
// either stored (suffix, backwards) or folded into the output (prefix, forwards).
template <class T, bool Max>
NMJCORE_SIMD_CLONES void suffix_step(T* __restrict g, const T* __restrict in, T* __restrict out,
                                     int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = g[i] = pick<T, Max>(g[i], in[i]);
}

template <class T, bool Max>
NMJCORE_SIMD_CLONES void prefix_step(T* __restrict g, const T* __restrict in, T* __restrict out,
                                     int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    g[i] = pick<T, Max>(g[i], in[i]);
    out[i] = pick<T, Max>(out[i], g[i]);
  }
}

// A source row of n elements widened by `before` and `after` border elements into dst.
// row == nullptr stands for a row wholly outside a constant border.
template <class T>
void pad_line(const T* row, int64_t n, int64_t before, int64_t after, Border border, T cval,
              T* dst) {
  const int64_t total = before + n + after;
  if (row == nullptr) {
    std::fill(dst, dst + total, cval);
    return;
  }
  std::memcpy(dst + before, row, static_cast<size_t>(n) * sizeof(T));
  for (int64_t j = 0; j < before; ++j) {
    const int64_t s = border_index(j - before, n, border);
    dst[j] = s < 0 ? cval : row[s];
  }
  for (int64_t j = before + n; j < total; ++j) {
    const int64_t s = border_index(j - before, n, border);
    dst[j] = s < 0 ? cval : row[s];
  }
}

// Sparse table of a padded line of `len` elements: level j (j >= 1) holds the window
// min/max of length 2^j at every start where it fits. Level 0 is the line itself.
template <class T, bool Max>
void build_levels(T* levels, int64_t stride, int64_t len, int top, int first = 1) {
  for (int j = first; j <= top; ++j) {
    const int64_t half = int64_t{1} << (j - 1);
    const T* prev = levels + (j - 1) * stride;
    combine<T, Max>(levels + j * stride, prev, prev + half, len - 2 * half + 1);
  }
}

inline int floor_log2(int64_t k) {
  int j = 0;
  while ((int64_t{2} << j) <= k) ++j;
  return j;
}

// out[i] = window min/max of length k starting at i, i in [0, n), from the sparse table.
template <class T, bool Max>
void window_from_levels(const T* levels, int64_t stride, int64_t k, int64_t n, T* out) {
  const int j = floor_log2(k);
  const T* level = levels + j * stride;
  const int64_t shift = k - (int64_t{1} << j);
  if (shift == 0) {
    std::memcpy(out, level, static_cast<size_t>(n) * sizeof(T));
  } else {
    combine<T, Max>(out, level, level + shift, n);
  }
}

// Scalar van Herk / Gil-Werman along one line: out[i] = min/max of in[i .. i + k - 1].
template <class T, bool Max>
void van_herk_line(const T* in, T* out, int64_t n, int64_t k) {
  for (int64_t b = 0; b < n; b += k) {
    const int64_t m = std::min(k, n - b);
    T g = in[b + k - 1];
    for (int64_t j = k - 1; j >= 0; --j) {
      g = pick<T, Max>(g, in[b + j]);
      if (j < m) out[b + j] = g;
    }
    for (int64_t j = 1; j < m; ++j) {
      g = j == 1 ? in[b + k] : pick<T, Max>(g, in[b + k + j - 1]);
      out[b + j] = pick<T, Max>(out[b + j], g);
    }
  }
}

// The same over a sequence of vectors (rows of a plane, planes of a volume): in[0 .. n+k-2]
// and out[0 .. n-1] point at vectors, of which elements [off, off + len) are processed.
// g is scratch of len elements.
template <class T, bool Max>
void van_herk_vectors(const T* const* in, T* const* out, int64_t n, int64_t k, int64_t off,
                      int64_t len, T* g) {
  const size_t bytes = static_cast<size_t>(len) * sizeof(T);
  if (k <= 4) {  // a direct scan is cheaper than the three passes of van Herk
    for (int64_t i = 0; i < n; ++i) {
      T* o = out[i] + off;
      if (k == 1) {
        std::memcpy(o, in[i] + off, bytes);
      } else if (k == 2) {
        combine<T, Max>(o, in[i] + off, in[i + 1] + off, len);
      } else {
        combine3<T, Max>(o, in[i] + off, in[i + 1] + off, in[i + 2] + off, len);
        if (k == 4) accumulate<T, Max>(o, in[i + 3] + off, len);
      }
    }
    return;
  }
  for (int64_t b = 0; b < n; b += k) {
    const int64_t m = std::min(k, n - b);
    // Suffix min/max of the block [b, b + k) goes straight into the output rows ...
    std::memcpy(g, in[b + k - 1] + off, bytes);
    if (m == k) std::memcpy(out[b + k - 1] + off, g, bytes);
    for (int64_t j = k - 2; j >= 0; --j) {
      if (j < m) {
        suffix_step<T, Max>(g, in[b + j] + off, out[b + j] + off, len);
      } else {
        accumulate<T, Max>(g, in[b + j] + off, len);
      }
    }
    // ... and the prefix min/max of the next block completes every window but the first.
    if (m > 1) {
      std::memcpy(g, in[b + k] + off, bytes);
      accumulate<T, Max>(out[b + 1] + off, g, len);
    }
    for (int64_t j = 2; j < m; ++j) {
      prefix_step<T, Max>(g, in[b + k + j - 1] + off, out[b + j] + off, len);
    }
  }
}

struct Geometry {
  int64_t nz, ny, nx;
  int64_t fz, fy, fx;  // footprint size
  int64_t cz, cy, cx;  // footprint origin: out[p] reads in[p + d - c]
};

// Box window of length k along one padded row: out[x] = min/max of padded[x .. x + k - 1]
// for x in [0, nx); padded holds nx + k - 1 elements. `levels` is scratch of
// box_row_scratch(nx, k) elements.
template <class T, bool Max>
void box_row(const T* padded, T* out, int64_t nx, int64_t k, T* levels) {
  const int64_t wp = nx + k - 1;
  if (k <= 3) {
    if (k == 2) combine<T, Max>(out, padded, padded + 1, nx);
    if (k == 3) combine3<T, Max>(out, padded, padded + 1, padded + 2, nx);
    if (k == 1) std::memcpy(out, padded, static_cast<size_t>(nx) * sizeof(T));
  } else if (k <= kDoublingMax) {
    const int top = floor_log2(k);
    combine<T, Max>(levels + wp, padded, padded + 1, wp - 1);
    build_levels<T, Max>(levels, wp, wp, top, 2);
    window_from_levels<T, Max>(levels, wp, k, nx, out);
  } else {
    van_herk_line<T, Max>(padded, out, nx, k);
  }
}

inline int64_t box_row_scratch(int64_t nx, int64_t k) {
  return (k <= kDoublingMax ? floor_log2(k) + 1 : 1) * (nx + k - 1);
}

// Fills the c elements before and the after elements behind a row already in place at
// row[0 .. n) from the row itself (border rules).
template <class T>
void pad_in_place(T* row, int64_t n, int64_t before, int64_t after, Border border, T cval) {
  for (int64_t j = 1; j <= before; ++j) {
    const int64_t s = border_index(-j, n, border);
    row[-j] = s < 0 ? cval : row[s];
  }
  for (int64_t j = 0; j < after; ++j) {
    const int64_t s = border_index(n + j, n, border);
    row[n + j] = s < 0 ? cval : row[s];
  }
}

// Box pass within every plane (y, then x), src -> dst: tiles of rows slide the y window over
// source rows straight from src (van Herk), then each tile row gets its x window.
template <class T, bool Max>
void box_plane_pass(const T* src, T* dst, const Geometry& g, Border border, T cval,
                    int threads) {
  const int64_t plane = g.ny * g.nx;
  const int64_t tile = std::min<int64_t>(64, g.ny);
  const int64_t tiles_per_plane = (g.ny + tile - 1) / tile;
  const int64_t n_tiles = g.nz * tiles_per_plane;
  const int workers = worker_count(n_tiles, threads);
  const int64_t wp = g.nx + g.fx - 1;  // a row with its x border
  struct Scratch {
    std::vector<T> rows, levels, g;
    std::vector<const T*> ins;
    std::vector<T*> outs;
  };
  std::vector<Scratch> scratch(workers);
  for (Scratch& s : scratch) {
    s.rows.resize((g.fy > 1 ? tile : 1) * wp);
    s.levels.resize(box_row_scratch(g.nx, g.fx));
    s.g.resize(g.nx);
    s.ins.resize(tile + g.fy - 1);
    s.outs.resize(tile);
  }
  const std::vector<T> constant(border == Border::constant ? g.nx : 0, cval);
  parallel_for(0, n_tiles, threads, [&](int64_t lo, int64_t hi, int w) {
    Scratch& s = scratch[w];
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t z = t / tiles_per_plane, y0 = (t % tiles_per_plane) * tile;
      const int64_t rows = std::min(tile, g.ny - y0);
      const T* base = src + z * plane;
      T* out = dst + z * plane + y0 * g.nx;
      if (g.fy > 1) {
        // y windows land in the tile buffer, inside each row's x border (or in out).
        for (int64_t i = 0; i < rows + g.fy - 1; ++i) {
          const int64_t sy = border_index(y0 + i - g.cy, g.ny, border);
          s.ins[i] = sy < 0 ? constant.data() : base + sy * g.nx;
        }
        for (int64_t i = 0; i < rows; ++i) {
          s.outs[i] = g.fx > 1 ? s.rows.data() + i * wp + g.cx : out + i * g.nx;
        }
        van_herk_vectors<T, Max>(s.ins.data(), s.outs.data(), rows, g.fy, 0, g.nx, s.g.data());
      }
      if (g.fx == 1) continue;
      for (int64_t i = 0; i < rows; ++i) {
        T* padded = s.rows.data() + (g.fy > 1 ? i * wp : 0);
        if (g.fy > 1) {
          pad_in_place(padded + g.cx, g.nx, g.cx, g.fx - 1 - g.cx, border, cval);
        } else {
          pad_line(base + (y0 + i) * g.nx, g.nx, g.cx, g.fx - 1 - g.cx, border, cval, padded);
        }
        box_row<T, Max>(padded, out + i * g.nx, g.nx, g.fx, s.levels.data());
      }
    }
  });
}

// Box pass along z, src -> dst: van Herk over whole planes, in strips of each plane.
template <class T, bool Max>
void box_z_pass(const T* src, T* dst, const Geometry& g, Border border, T cval, int threads) {
  const int64_t n = g.nz, k = g.fz, vec = g.ny * g.nx;
  // Strips narrow enough that every thread gets work.
  const int64_t wanted = (vec + 4 * resolve_threads(threads) - 1) / (4 * resolve_threads(threads));
  const int64_t strip = std::clamp<int64_t>((wanted + 63) / 64 * 64, 256, kStrip);
  const int64_t strips = (vec + strip - 1) / strip;
  const std::vector<T> constant(border == Border::constant ? vec : 0, cval);
  std::vector<const T*> ins(n + k - 1);
  std::vector<T*> outs(n);
  for (int64_t i = 0; i < n + k - 1; ++i) {
    const int64_t s = border_index(i - g.cz, n, border);
    ins[i] = s < 0 ? constant.data() : src + s * vec;
  }
  for (int64_t i = 0; i < n; ++i) outs[i] = dst + i * vec;
  const int workers = worker_count(strips, threads);
  std::vector<std::vector<T>> scratch(workers, std::vector<T>(std::min(vec, strip)));
  parallel_for(0, strips, threads, [&](int64_t lo, int64_t hi, int w) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t off = t * strip;
      van_herk_vectors<T, Max>(ins.data(), outs.data(), n, k, off, std::min(strip, vec - off),
                               scratch[w].data());
    }
  });
}

// A footprint cut into runs along x, in padded coordinates (dz, dy index the footprint).
struct Run {
  int64_t dz, dy, x0, len;
  int slot;  // which (dz, length) window rows this run reads
};

struct RunPlan {
  std::vector<Run> runs;
  std::vector<int64_t> dzs;                    // footprint planes that hold any run
  std::vector<std::vector<int64_t>> lengths;   // per entry of dzs: distinct run lengths
  std::vector<std::vector<int>> slots;         // per entry of dzs: slot of each length
  std::vector<int64_t> dy_lo, dy_hi;           // per entry of dzs: rows of the footprint used
  std::vector<int> top;                        // per entry of dzs: sparse-table levels needed
  int n_slots = 0;
};

inline RunPlan plan_runs(const uint8_t* footprint, const Geometry& g) {
  RunPlan plan;
  for (int64_t dz = 0; dz < g.fz; ++dz) {
    std::vector<int64_t> lengths;
    std::vector<Run> runs;
    int64_t lo = g.fy, hi = -1;
    for (int64_t dy = 0; dy < g.fy; ++dy) {
      const uint8_t* row = footprint + (dz * g.fy + dy) * g.fx;
      for (int64_t x = 0; x < g.fx;) {
        if (!row[x]) {
          ++x;
          continue;
        }
        int64_t e = x;
        while (e < g.fx && row[e]) ++e;
        runs.push_back({dz, dy, x, e - x, 0});
        lengths.push_back(e - x);
        lo = std::min(lo, dy);
        hi = std::max(hi, dy);
        x = e;
      }
    }
    if (runs.empty()) continue;
    std::sort(lengths.begin(), lengths.end());
    lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
    std::vector<int> slots(lengths.size());
    for (size_t i = 0; i < lengths.size(); ++i) slots[i] = plan.n_slots++;
    for (Run& r : runs) {
      const size_t i = std::lower_bound(lengths.begin(), lengths.end(), r.len) - lengths.begin();
      r.slot = slots[i];
      plan.runs.push_back(r);
    }
    plan.dzs.push_back(dz);
    plan.top.push_back(floor_log2(lengths.back()));
    plan.lengths.push_back(std::move(lengths));
    plan.slots.push_back(std::move(slots));
    plan.dy_lo.push_back(lo);
    plan.dy_hi.push_back(hi);
  }
  return plan;
}

// Rank pass with an arbitrary footprint, src -> dst, parallel over tiles of output rows.
template <class T, bool Max>
void runs_pass(const T* src, T* dst, const Geometry& g, const RunPlan& plan, Border border,
               T cval, int threads) {
  const int64_t wp = g.nx + g.fx - 1;
  const int64_t tile = std::min(kTileRows, g.ny);
  const int64_t tiles_per_plane = (g.ny + tile - 1) / tile;
  const int64_t window_rows = tile + g.fy - 1;
  int top = 0;
  for (int t : plan.top) top = std::max(top, t);
  const int64_t n_tiles = g.nz * tiles_per_plane;
  const int workers = worker_count(n_tiles, threads);
  struct Scratch {
    std::vector<T> levels, windows;
  };
  std::vector<Scratch> scratch(workers);
  for (Scratch& s : scratch) {
    s.levels.resize((top + 1) * wp);
    s.windows.resize(plan.n_slots * window_rows * wp);
  }
  const int64_t plane = g.ny * g.nx;
  parallel_for(0, n_tiles, threads, [&](int64_t lo, int64_t hi, int w) {
    T* levels = scratch[w].levels.data();
    T* windows = scratch[w].windows.data();
    auto window_row = [&](int slot, int64_t r) { return windows + (slot * window_rows + r) * wp; };
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t z = t / tiles_per_plane, y0 = (t % tiles_per_plane) * tile;
      const int64_t rows = std::min(tile, g.ny - y0);
      for (size_t i = 0; i < plan.dzs.size(); ++i) {
        const int64_t sz = border_index(z + plan.dzs[i] - g.cz, g.nz, border);
        const T* source_plane = sz < 0 ? nullptr : src + sz * plane;
        for (int64_t r = plan.dy_lo[i]; r < rows + plan.dy_hi[i]; ++r) {
          const int64_t sy = source_plane ? border_index(y0 + r - g.cy, g.ny, border) : -1;
          pad_line(sy < 0 ? nullptr : source_plane + sy * g.nx, g.nx, g.cx, g.fx - 1 - g.cx,
                   border, cval, levels);
          build_levels<T, Max>(levels, wp, wp, plan.top[i]);
          for (size_t j = 0; j < plan.lengths[i].size(); ++j) {
            const int64_t len = plan.lengths[i][j];
            window_from_levels<T, Max>(levels, wp, len, wp - len + 1,
                                       window_row(plan.slots[i][j], r));
          }
        }
      }
      for (int64_t y = 0; y < rows; ++y) {
        T* out = dst + z * plane + (y0 + y) * g.nx;
        const Run& first = plan.runs[0];
        std::memcpy(out, window_row(first.slot, y + first.dy) + first.x0,
                    static_cast<size_t>(g.nx) * sizeof(T));
        for (size_t k = 1; k < plan.runs.size(); ++k) {
          const Run& run = plan.runs[k];
          accumulate<T, Max>(out, window_row(run.slot, y + run.dy) + run.x0, g.nx);
        }
      }
    }
  });
}

// Applies `pass(src, dst)` `count` times from in to out, ping-ponging through one scratch
// volume so that the last pass lands in out and in is never written.
template <class T, class Pass>
void repeat_passes(const T* in, T* out, int64_t size, int64_t count, Pass&& pass) {
  if (count == 0) {
    std::memcpy(out, in, static_cast<size_t>(size) * sizeof(T));
    return;
  }
  std::unique_ptr<T[]> scratch(count > 1 ? new T[size] : nullptr);  // no zero fill
  const T* src = in;
  for (int64_t q = 0; q < count; ++q) {
    T* dst = (count - 1 - q) % 2 == 0 ? out : scratch.get();
    pass(src, dst, q);
    src = dst;
  }
}

template <class T, bool Max>
void rank_filter(const T* in, T* out, const Geometry& g, const uint8_t* footprint,
                 Border border, T cval, int64_t iterations, int threads) {
  const int64_t size = g.nz * g.ny * g.nx;
  const int64_t fsize = g.fz * g.fy * g.fx;
  const bool box = std::all_of(footprint, footprint + fsize, [](uint8_t v) { return v != 0; });
  if (box) {
    std::vector<int> stages;  // 0: along z, 1: within planes
    if (g.fz > 1) stages.push_back(0);
    if (g.fy > 1 || g.fx > 1) stages.push_back(1);
    const int64_t per = static_cast<int64_t>(stages.size());
    repeat_passes(in, out, size, per * iterations, [&](const T* s, T* d, int64_t q) {
      if (stages[q % per] == 0) {
        box_z_pass<T, Max>(s, d, g, border, cval, threads);
      } else {
        box_plane_pass<T, Max>(s, d, g, border, cval, threads);
      }
    });
    return;
  }
  const RunPlan plan = plan_runs(footprint, g);
  repeat_passes(in, out, size, iterations, [&](const T* s, T* d, int64_t) {
    runs_pass<T, Max>(s, d, g, plan, border, cval, threads);
  });
}

}  // namespace morph_detail

// Erosion (dilate = false) or dilation (dilate = true) of a (nz, ny, nx) C-contiguous image
// by a flat footprint of (fz, fy, fx) bytes, non-zero where it is part of the footprint (at
// least one must be). Reads outside the image follow `border` (cval for Border::constant).
// `iterations` >= 1 applies it that many times. A 2D image is nz = 1 with fz = 1.
// out must not overlap in.
template <class T>
void morphology(const T* in, T* out, int64_t nz, int64_t ny, int64_t nx,
                const uint8_t* footprint, int64_t fz, int64_t fy, int64_t fx, bool dilate,
                Border border, T cval, int64_t iterations, int threads) {
  morph_detail::Geometry g{nz, ny, nx, fz, fy, fx, fz / 2, fy / 2, fx / 2};
  if (!dilate) {
    morph_detail::rank_filter<T, false>(in, out, g, footprint, border, cval, iterations,
                                        threads);
    return;
  }
  const int64_t fsize = fz * fy * fx;
  std::vector<uint8_t> mirrored(footprint, footprint + fsize);
  std::reverse(mirrored.begin(), mirrored.end());  // flips every axis at once
  g.cz = fz - 1 - fz / 2;
  g.cy = fy - 1 - fy / 2;
  g.cx = fx - 1 - fx / 2;
  morph_detail::rank_filter<T, true>(in, out, g, mirrored.data(), border, cval, iterations,
                                     threads);
}

}  // namespace nmjcore
