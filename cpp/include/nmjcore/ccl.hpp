// Connected-component labelling (CCL) of 2D and 3D label images.
//
// A component is a maximal connected set of voxels that share one non-zero value (0 is
// background); binary images are the special case of one value. Components are numbered
// 1..N in raster order: in the C order of each component's first voxel.
//
// Algorithm: run-based two-pass labelling with union-find (He, Chao & Suzuki, "A Run-Based
// Two-Scan Labeling Algorithm", IEEE Trans. Image Processing 17(5), 2008), extended to 3D
// and to multi-label images. Pass one cuts every row into runs (maximal stretches of one
// non-zero value) and unites each run with the runs of equal value it touches in the
// already-scanned neighbour rows; pass two writes each run's final number. Working on runs
// instead of voxels makes the union-find cost proportional to the number of runs, which on
// segmentation-like images is a small fraction of the voxel count, and the voxel work is a
// scan for value changes and a fill.
//
// Neighbour rows of row (z, y), all scanned before it, and how far a run may reach along x:
//   2D  4: (y-1) face            8: (y-1) with x-diagonals
//   3D  6: (z, y-1), (z-1, y) faces
//      18: (z, y-1), (z-1, y) with x-diagonals; (z-1, y-1), (z-1, y+1) faces only
//      26: all four with x-diagonals
//
// Union by smaller index keeps every parent below its child, and runs are indexed in raster
// order, so a component's root is its first run and one forward sweep numbers the roots in
// raster order with no further find.
//
// Threads: the outermost axis is cut into slabs (planes in 3D, rows in 2D); each slab is
// scanned and united on its own, then the seams between slabs are united on one thread (a
// plane or a row each), then the slabs are written in parallel. On the phantom's 64x512x512
// volume the runs are ~0.7% of the voxels: the time goes to scanning the image and writing
// the output, both split across threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "nmjcore/threads.hpp"

namespace nmjcore {

namespace ccl_detail {

template <class T>
struct Run {
  int32_t start, end;  // [start, end) along x; 32 bits keep runs small (nx < 2^31)
  T value;
};

// One neighbour row of the current row: its offset in rows and whether runs touch across
// an x-diagonal (the run may reach one voxel further on both sides).
struct Neighbour {
  int64_t dz, dy;
  int64_t reach;
};

inline int neighbours(int connectivity, Neighbour* out) {
  switch (connectivity) {
    case 4:
      out[0] = {0, -1, 0};
      return 1;
    case 8:
      out[0] = {0, -1, 1};
      return 1;
    case 6:
      out[0] = {0, -1, 0};
      out[1] = {-1, 0, 0};
      return 2;
    case 18:
      out[0] = {0, -1, 1};
      out[1] = {-1, -1, 0};
      out[2] = {-1, 0, 1};
      out[3] = {-1, 1, 0};
      return 4;
    default:  // 26
      out[0] = {0, -1, 1};
      out[1] = {-1, -1, 1};
      out[2] = {-1, 0, 1};
      out[3] = {-1, 1, 1};
      return 4;
  }
}

// First index >= i in row[0, n) whose value differs from v. In segmentation images most of a
// row is long stretches of one value, so it compares 32 bytes at a time (SSE2, on every
// x86-64), then 8, and finds the first differing element from the lowest mismatching byte.
template <class T>
inline int64_t skip_equal(const T* row, int64_t i, int64_t n, T v) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  constexpr int64_t size = sizeof(T);
  uint64_t pattern = 0;
  for (int64_t k = 0; k < 8 / size; ++k) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    pattern |= bits << (8 * size * k % 64);
  }
#if defined(__SSE2__)
  const __m128i wide = _mm_set1_epi64x(static_cast<long long>(pattern));
  while (i + 32 / size <= n) {
    const __m128i* p = reinterpret_cast<const __m128i*>(row + i);
    const unsigned lo = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(p), wide));
    const unsigned hi = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(p + 1), wide));
    const unsigned equal = lo | (hi << 16);
    if (equal != 0xFFFFFFFFu) return i + __builtin_ctz(~equal) / size;
    i += 32 / size;
  }
#endif
  while (i + 8 / size <= n) {
    uint64_t w;
    std::memcpy(&w, row + i, sizeof(w));
    if (const uint64_t diff = w ^ pattern) return i + __builtin_ctzll(diff) / (8 * size);
    i += 8 / size;
  }
#endif
  while (i < n && row[i] == v) ++i;
  return i;
}

inline int64_t find_root(int64_t* parent, int64_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];  // path halving
    x = parent[x];
  }
  return x;
}

// Unites the set of run `cur` (whose root is *cur_root) with the set of run `other`.
inline void unite(int64_t* parent, int64_t* cur_root, int64_t other) {
  const int64_t r = find_root(parent, other);
  if (r == *cur_root) return;
  if (r < *cur_root) {
    parent[*cur_root] = r;
    *cur_root = r;
  } else {
    parent[r] = *cur_root;
  }
}

// Unites every run of [cur, cur_end) with the equal-valued runs of [nb, nb_end) it touches.
// Both lists are sorted along x; cur_index and nb_index are the union-find indices of *cur
// and *nb (runs are numbered consecutively).
template <class T>
void connect_rows(int64_t* parent, const Run<T>* cur, const Run<T>* cur_end, int64_t cur_index,
                  const Run<T>* nb, const Run<T>* nb_end, int64_t nb_index, int64_t reach) {
  for (; cur != cur_end && nb != nb_end; ++cur, ++cur_index) {
    // Neighbour runs ending before this run starts can touch no later run either.
    while (nb != nb_end && nb->end + reach <= cur->start) ++nb, ++nb_index;
    int64_t root = find_root(parent, cur_index);
    int64_t k_index = nb_index;
    for (const Run<T>* k = nb; k != nb_end && k->start < cur->end + reach; ++k, ++k_index) {
      if (k->value == cur->value) unite(parent, &root, k_index);
    }
  }
}

// The runs of a slab of rows [row0, row1), in raster order; run i of the slab has the global
// union-find index offset + i.
template <class T>
struct Slab {
  int64_t row0 = 0, row1 = 0, offset = 0;
  std::vector<Run<T>> runs;
  std::vector<int64_t> begin;  // row r's runs: [begin[r - row0], begin[r - row0 + 1])

  const Run<T>* first(int64_t r) const { return runs.data() + begin[r - row0]; }
  const Run<T>* last(int64_t r) const { return runs.data() + begin[r - row0 + 1]; }
  int64_t index(int64_t r) const { return begin[r - row0]; }  // slab-local
};

// Appends the runs of one row of nx values to `runs`.
template <class T>
void scan_row(const T* row, int64_t nx, std::vector<Run<T>>& runs) {
  int64_t i = 0;
  while (i < nx) {
    const T v = row[i];
    const int64_t e = skip_equal(row, i + 1, nx, v);
    if (v != 0) runs.push_back({static_cast<int32_t>(i), static_cast<int32_t>(e), v});
    i = e;
  }
}

// The neighbour rows of row r = (z, y) that exist: calls fn(q, reach).
template <class Fn>
void for_each_neighbour_row(int64_t r, int64_t ny, const Neighbour* nbs, int n_nbs, Fn&& fn) {
  const int64_t z = r / ny, y = r % ny;
  for (int k = 0; k < n_nbs; ++k) {
    const int64_t zz = z + nbs[k].dz, yy = y + nbs[k].dy;
    if (zz >= 0 && yy >= 0 && yy < ny) fn(zz * ny + yy, nbs[k].reach);
  }
}

// fn(s) for every slab s < slabs, one thread per slab.
template <class Fn>
void for_each_slab(int slabs, Fn&& fn) {
  parallel_for(0, slabs, slabs, [&](int64_t lo, int64_t hi, int) {
    for (int64_t s = lo; s < hi; ++s) fn(s);
  });
}

}  // namespace ccl_detail

// Connected components of a (nz, ny, nx) C-contiguous label volume (a 2D image is nz = 1).
//   image         input, nz*ny*nx values; each non-zero value forms its own components
//   out           output, nz*ny*nx component ids (0 on background, 1..N in raster order);
//                 must come zeroed (calloc, numpy.zeros: fresh pages are zero at no cost),
//                 only the components are written
//   connectivity  4 or 8 (2D, nz == 1), 6, 18 or 26 (3D)
//   counts        if not null, resized to N + 1: counts[i] voxels of component i, counts[0]
//                 the background
//   threads       worker threads (<= 0: all hardware threads)
//   min_slab_voxels  fewer slabs than threads when slabs would be smaller than this: a slab
//                 of 2^20 voxels takes ~0.5 ms, about what starting and joining its thread
//                 costs on a busy machine
// Returns N, or -1 (out left unwritten) when N does not fit in uint32. nx must be < 2^31.
template <class T>
int64_t connected_components(const T* image, uint32_t* out, int64_t nz, int64_t ny, int64_t nx,
                             int connectivity, std::vector<int64_t>* counts, int threads,
                             int64_t min_slab_voxels = int64_t(1) << 20) {
  using namespace ccl_detail;
  if (counts) counts->assign(1, 0);
  if (nz <= 0 || ny <= 0 || nx <= 0) return 0;
  const int64_t rows = nz * ny;
  Neighbour nbs[4];
  const int n_nbs = neighbours(connectivity, nbs);

  // Slabs: whole planes in 3D (so a seam is one plane against the one before), rows in 2D.
  const int64_t unit = nz > 1 ? ny : 1;
  const int64_t units = rows / unit;
  const int slabs = static_cast<int>(std::max<int64_t>(
      1, std::min<int64_t>({resolve_threads(threads), units,
                            rows * nx / std::max<int64_t>(min_slab_voxels, 1)})));
  std::vector<Slab<T>> slab(slabs);
  for (int k = 0; k < slabs; ++k) {
    slab[k].row0 = units * k / slabs * unit;
    slab[k].row1 = units * (k + 1) / slabs * unit;
  }

  // Pass one, per slab: cut each row into runs and unite them with the runs of the neighbour
  // rows inside the slab, while those are still in cache. Slab-local indices.
  std::vector<std::vector<int64_t>> local_parent(slabs);
  for_each_slab(slabs, [&](int64_t k) {
    // Built in the thread's own objects and moved in at the end: the slabs' vector headers
    // share cache lines, and growing them side by side would bounce those lines between cores.
    Slab<T> sl;
    std::vector<int64_t> parent;
    sl.row0 = slab[k].row0;
    sl.row1 = slab[k].row1;
    sl.begin.assign(sl.row1 - sl.row0 + 1, 0);
    sl.runs.reserve(static_cast<size_t>((sl.row1 - sl.row0) * 4));
    for (int64_t r = sl.row0; r < sl.row1; ++r) {
      scan_row(image + r * nx, nx, sl.runs);
      sl.begin[r - sl.row0 + 1] = static_cast<int64_t>(sl.runs.size());
      while (parent.size() < sl.runs.size()) parent.push_back(static_cast<int64_t>(parent.size()));
      for_each_neighbour_row(r, ny, nbs, n_nbs, [&](int64_t q, int64_t reach) {
        if (q < sl.row0) return;  // a seam, united later
        connect_rows(parent.data(), sl.first(r), sl.last(r), sl.index(r), sl.first(q), sl.last(q),
                     sl.index(q), reach);
      });
    }
    slab[k] = std::move(sl);
    local_parent[k] = std::move(parent);
  });
  for (int k = 1; k < slabs; ++k) {
    slab[k].offset = slab[k - 1].offset + static_cast<int64_t>(slab[k - 1].runs.size());
  }
  const int64_t n_runs = slab[slabs - 1].offset + static_cast<int64_t>(slab[slabs - 1].runs.size());
  std::vector<int64_t> parent_store;
  if (slabs == 1) {
    parent_store.swap(local_parent[0]);
  } else {
    parent_store.resize(n_runs);
    for_each_slab(slabs, [&](int64_t k) {
      const int64_t off = slab[k].offset;
      for (size_t i = 0; i < local_parent[k].size(); ++i) {
        parent_store[off + i] = local_parent[k][i] + off;
      }
      std::vector<int64_t>().swap(local_parent[k]);
    });
  }
  int64_t* parent = parent_store.data();

  // The seams: the first plane (row) of each slab against the last of the slab before.
  for (int k = 1; k < slabs; ++k) {
    const Slab<T>& sl = slab[k];
    const Slab<T>& prev = slab[k - 1];
    for (int64_t r = sl.row0; r < std::min(sl.row0 + unit, sl.row1); ++r) {
      for_each_neighbour_row(r, ny, nbs, n_nbs, [&](int64_t q, int64_t reach) {
        if (q >= sl.row0) return;
        connect_rows(parent, sl.first(r), sl.last(r), sl.offset + sl.index(r), prev.first(q),
                     prev.last(q), prev.offset + prev.index(q), reach);
      });
    }
  }

  // Pass two: roots are first runs, so one forward sweep numbers them in raster order, in
  // place: a root still has parent[i] == i, every other run points to a lower run whose
  // entry already holds its component's number.
  int64_t n = 0;
  for (int64_t i = 0; i < n_runs; ++i) parent[i] = parent[i] == i ? ++n : parent[parent[i]];
  if (n > static_cast<int64_t>(UINT32_MAX)) return -1;

  // One contiguous stretch of the output per thread: a fresh output is faulted in as it is
  // written, and threads interleaving within one (huge) page would wait on each other.
  // Background stays as it came, zero.
  for_each_slab(slabs, [&](int64_t k) {
    const Slab<T>& sl = slab[k];
    const int64_t* id = parent + sl.offset;
    for (int64_t r = sl.row0; r < sl.row1; ++r) {
      uint32_t* row = out + r * nx;
      for (const Run<T>* run = sl.first(r); run != sl.last(r); ++run) {
        std::fill(row + run->start, row + run->end, static_cast<uint32_t>(id[run - sl.runs.data()]));
      }
    }
  });

  if (counts) {
    counts->assign(n + 1, 0);
    int64_t foreground = 0;
    for (const Slab<T>& sl : slab) {
      const int64_t* id = parent + sl.offset;
      for (size_t i = 0; i < sl.runs.size(); ++i) {
        const int64_t len = sl.runs[i].end - sl.runs[i].start;
        (*counts)[id[i]] += len;
        foreground += len;
      }
    }
    (*counts)[0] = nz * ny * nx - foreground;
  }
  return n;
}

}  // namespace nmjcore
