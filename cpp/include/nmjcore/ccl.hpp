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
// plane or a row each), then the slabs are written in parallel.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

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

// First index >= i in row[0, n) whose value differs from v. Compares eight bytes at a time
// first: in segmentation images most of the scan is long stretches of one value.
template <class T>
inline int64_t skip_equal(const T* row, int64_t i, int64_t n, T v) {
  if constexpr (sizeof(T) <= 4 && std::is_integral_v<T>) {
    constexpr int64_t per_word = 8 / sizeof(T);
    uint64_t pattern = 0;
    for (int64_t k = 0; k < per_word; ++k) {
      uint64_t bits = 0;
      std::memcpy(&bits, &v, sizeof(T));
      pattern |= bits << (8 * sizeof(T) * k);
    }
    while (i + 4 * per_word <= n) {
      uint64_t w[4];
      std::memcpy(w, row + i, sizeof(w));
      if (((w[0] ^ pattern) | (w[1] ^ pattern) | (w[2] ^ pattern) | (w[3] ^ pattern)) != 0) break;
      i += 4 * per_word;
    }
  }
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
// Both lists are sorted along x; parent is indexed by run index (run pointer - base).
template <class T>
void connect_rows(const Run<T>* base, int64_t* parent, const Run<T>* cur, const Run<T>* cur_end,
                  const Run<T>* nb, const Run<T>* nb_end, int64_t reach) {
  for (; cur != cur_end && nb != nb_end; ++cur) {
    // Neighbour runs ending before this run starts can touch no later run either.
    while (nb != nb_end && nb->end + reach <= cur->start) ++nb;
    int64_t root = find_root(parent, cur - base);
    for (const Run<T>* k = nb; k != nb_end && k->start < cur->end + reach; ++k) {
      if (k->value == cur->value) unite(parent, &root, k - base);
    }
  }
}

// Runs of rows [r0, r1) appended to `runs`; begin[r - r0] is where row r's runs start.
template <class T>
void scan_rows(const T* image, int64_t nx, int64_t r0, int64_t r1, std::vector<Run<T>>& runs,
               int64_t* begin) {
  for (int64_t r = r0; r < r1; ++r) {
    begin[r - r0] = static_cast<int64_t>(runs.size());
    const T* row = image + r * nx;
    int64_t i = 0;
    while (i < nx) {
      const T v = row[i];
      const int64_t e = skip_equal(row, i + 1, nx, v);
      if (v != 0) runs.push_back({static_cast<int32_t>(i), static_cast<int32_t>(e), v});
      i = e;
    }
  }
}

// Unites row r = (z, y) with its neighbour rows q: those with q >= first_row, or with
// seam_only those with q < first_row.
template <class T>
void connect_row(const Run<T>* runs, const int64_t* row_begin, int64_t* parent, int64_t ny,
                 int64_t r, int64_t first_row, bool seam_only, const Neighbour* nbs, int n_nbs) {
  const int64_t z = r / ny, y = r % ny;
  for (int k = 0; k < n_nbs; ++k) {
    const int64_t zz = z + nbs[k].dz, yy = y + nbs[k].dy;
    if (zz < 0 || yy < 0 || yy >= ny) continue;
    const int64_t q = zz * ny + yy;
    if ((q < first_row) != seam_only) continue;
    connect_rows(runs, parent, runs + row_begin[r], runs + row_begin[r + 1], runs + row_begin[q],
                 runs + row_begin[q + 1], nbs[k].reach);
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
//   out           output, nz*ny*nx component ids (0 on background, 1..N in raster order)
//   connectivity  4 or 8 (2D, nz == 1), 6, 18 or 26 (3D)
//   counts        if not null, resized to N + 1: counts[i] voxels of component i, counts[0]
//                 the background
//   threads       worker threads (<= 0: all hardware threads)
// Returns N, or -1 (out left unwritten) when N does not fit in uint32. nx must be < 2^31.
template <class T>
int64_t connected_components(const T* image, uint32_t* out, int64_t nz, int64_t ny, int64_t nx,
                             int connectivity, std::vector<int64_t>* counts, int threads) {
  using namespace ccl_detail;
  if (counts) counts->assign(1, 0);
  if (nz <= 0 || ny <= 0 || nx <= 0) return 0;
  const int64_t rows = nz * ny;
  Neighbour nbs[4];
  const int n_nbs = neighbours(connectivity, nbs);

  // Slabs: whole planes in 3D (so a seam is one plane against the one before), rows in 2D.
  const int64_t unit = nz > 1 ? ny : 1;
  const int64_t units = rows / unit;
  const int64_t min_rows = 64;  // below this a slab costs more to start than it saves
  const int slabs = static_cast<int>(std::max<int64_t>(
      1, std::min<int64_t>({resolve_threads(threads), units, rows / min_rows + 1})));
  std::vector<int64_t> slab_row(slabs + 1);
  for (int s = 0; s <= slabs; ++s) slab_row[s] = units * s / slabs * unit;

  // Pass one, per slab: the runs (slab-local, then gathered in raster order) ...
  std::vector<std::vector<Run<T>>> local(slabs);
  std::vector<int64_t> row_begin(rows + 1);
  for_each_slab(slabs, [&](int64_t s) {
    const int64_t r0 = slab_row[s], r1 = slab_row[s + 1];
    local[s].reserve(static_cast<size_t>((r1 - r0) * 4));
    scan_rows(image, nx, r0, r1, local[s], row_begin.data() + r0);
  });
  std::vector<int64_t> offset(slabs + 1, 0);
  for (int s = 0; s < slabs; ++s) offset[s + 1] = offset[s] + static_cast<int64_t>(local[s].size());
  const int64_t n_runs = offset[slabs];
  row_begin[rows] = n_runs;
  for (int s = 1; s < slabs; ++s) {
    for (int64_t r = slab_row[s]; r < slab_row[s + 1]; ++r) row_begin[r] += offset[s];
  }
  std::vector<Run<T>> all_runs;
  if (slabs == 1) all_runs.swap(local[0]);
  else all_runs.resize(n_runs);
  std::vector<int64_t> parent_store(n_runs);
  const Run<T>* runs = all_runs.data();
  int64_t* parent = parent_store.data();
  // ... and their unions within the slab: each slab only touches its own runs' parents.
  for_each_slab(slabs, [&](int64_t s) {
    const int64_t r0 = slab_row[s], r1 = slab_row[s + 1], off = offset[s];
    if (slabs > 1) {
      std::copy(local[s].begin(), local[s].end(), all_runs.begin() + off);
      std::vector<Run<T>>().swap(local[s]);
    }
    for (int64_t i = off; i < offset[s + 1]; ++i) parent[i] = i;
    for (int64_t r = r0; r < r1; ++r) {
      connect_row(runs, row_begin.data(), parent, ny, r, r0, false, nbs, n_nbs);
    }
  });
  // The seams: the first plane (row) of each slab against the slab before it.
  for (int s = 1; s < slabs; ++s) {
    const int64_t r0 = slab_row[s];
    for (int64_t r = r0; r < std::min(r0 + unit, slab_row[s + 1]); ++r) {
      connect_row(runs, row_begin.data(), parent, ny, r, r0, true, nbs, n_nbs);
    }
  }

  // Pass two: roots are first runs, so one forward sweep numbers them in raster order, in
  // place: a root still has parent[i] == i, every other run points to a lower run whose
  // entry already holds its component's number.
  int64_t n = 0;
  for (int64_t i = 0; i < n_runs; ++i) parent[i] = parent[i] == i ? ++n : parent[parent[i]];
  if (n > static_cast<int64_t>(UINT32_MAX)) return -1;

  parallel_for(
      0, rows, threads,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t r = lo; r < hi; ++r) {
          uint32_t* row = out + r * nx;
          int64_t x = 0;
          for (int64_t k = row_begin[r]; k < row_begin[r + 1]; ++k) {
            const Run<T>& run = runs[k];
            std::fill(row + x, row + run.start, 0u);
            std::fill(row + run.start, row + run.end, static_cast<uint32_t>(parent[k]));
            x = run.end;
          }
          std::fill(row + x, row + nx, 0u);
        }
      },
      std::max<int64_t>(1, 16384 / nx));

  if (counts) {
    counts->assign(n + 1, 0);
    int64_t foreground = 0;
    for (int64_t k = 0; k < n_runs; ++k) {
      const int64_t len = runs[k].end - runs[k].start;
      (*counts)[parent[k]] += len;
      foreground += len;
    }
    (*counts)[0] = nz * ny * nx - foreground;
  }
  return n;
}

}  // namespace nmjcore
