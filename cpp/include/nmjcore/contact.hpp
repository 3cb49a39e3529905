// Contact surfaces between the labels of a 3D label volume, all pairs in one pass.
//
// Two labels touch where a voxel of one shares a face with a voxel of the other (6-
// connectivity); background (0) touches nothing. For every touching pair (a < b) the kernel
// counts the shared faces per axis (a face between z and z+1 is a z face, of physical area
// sy * sx, and so on) and sums the face centres, so the caller gets the contact area under any
// anisotropic sampling and where the contact lies.
//
// The volume is split into slabs of z; each worker owns the faces whose lower voxel lies in
// its slab and counts into its own hash table, the tables are merged at the end, and the pairs
// come out sorted, so the result does not depend on the number of threads. Along every axis,
// consecutive faces of one pair are common (a terminal resting on a fibre is a run of z faces
// of one pair along x), so a face is first added to a one-entry cache per axis and the table
// is touched only when the pair changes.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nmjcore/threads.hpp"

namespace nmjcore {

// One touching pair: faces per axis (z, y, x) and the sum of the face centres in voxel
// coordinates (a z face between voxels (z, y, x) and (z + 1, y, x) is centred at z + 0.5).
struct ContactPair {
  uint64_t a = 0, b = 0;
  std::array<int64_t, 3> faces{0, 0, 0};
  std::array<double, 3> centre_sum{0.0, 0.0, 0.0};
};

namespace contact_detail {

struct PairKey {
  uint64_t a, b;
  bool operator==(const PairKey& o) const { return a == o.a && b == o.b; }
};

struct PairHash {
  size_t operator()(const PairKey& k) const {
    uint64_t h = k.a * 0x9E3779B97F4A7C15ULL ^ (k.b + 0x632BE59BD9B4E019ULL + (k.a << 6));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

struct Accum {
  std::array<int64_t, 3> faces{0, 0, 0};
  std::array<double, 3> centre_sum{0.0, 0.0, 0.0};
};

using Table = std::unordered_map<PairKey, Accum, PairHash>;

// Accumulates faces of one axis for the pair last seen; flushes into the table on change.
class Counter {
 public:
  explicit Counter(Table& table) : table_(table) {}
  ~Counter() { flush(); }

  void add(uint64_t u, uint64_t v, int axis, double cz, double cy, double cx) {
    const PairKey key = u < v ? PairKey{u, v} : PairKey{v, u};
    if (!(valid_ && key == key_ && axis == axis_)) {
      flush();
      key_ = key;
      axis_ = axis;
      valid_ = true;
    }
    ++count_;
    sum_[0] += cz;
    sum_[1] += cy;
    sum_[2] += cx;
  }

  void flush() {
    if (!valid_ || count_ == 0) return;
    Accum& acc = table_[key_];
    acc.faces[axis_] += count_;
    for (int k = 0; k < 3; ++k) acc.centre_sum[k] += sum_[k];
    count_ = 0;
    sum_ = {0.0, 0.0, 0.0};
  }

 private:
  Table& table_;
  PairKey key_{0, 0};
  int axis_ = 0;
  bool valid_ = false;
  int64_t count_ = 0;
  std::array<double, 3> sum_{0.0, 0.0, 0.0};
};

// Faces whose lower voxel lies in sections [z0, z1). `get(i)` is the label of voxel i (as
// uint64, 0 = background); `counts(u, v)` says whether a pair of different labels is wanted.
template <class Get, class Wanted>
void count_slab(const Get& get, const Wanted& wanted, int64_t nz, int64_t ny, int64_t nx,
                int64_t z0, int64_t z1, Table& table) {
  // One cache per axis: a voxel's x, y and z faces usually belong to different pairs.
  Counter cx(table), cy(table), cz(table);
  const int64_t plane = ny * nx;
  for (int64_t z = z0; z < z1; ++z) {
    const double fz = static_cast<double>(z);
    for (int64_t y = 0; y < ny; ++y) {
      const int64_t row = z * plane + y * nx;
      const bool has_y = y + 1 < ny, has_z = z + 1 < nz;
      const double fy = static_cast<double>(y);
      for (int64_t x = 0; x < nx; ++x) {
        const uint64_t u = get(row + x);
        if (u == 0) continue;
        const double fx = static_cast<double>(x);
        if (x + 1 < nx) {
          const uint64_t v = get(row + x + 1);
          if (v != 0 && v != u && wanted(u, v)) cx.add(u, v, 2, fz, fy, fx + 0.5);
        }
        if (has_y) {
          const uint64_t v = get(row + x + nx);
          if (v != 0 && v != u && wanted(u, v)) cy.add(u, v, 1, fz, fy + 0.5, fx);
        }
        if (has_z) {
          const uint64_t v = get(row + x + plane);
          if (v != 0 && v != u && wanted(u, v)) cz.add(u, v, 0, fz + 0.5, fy, fx);
        }
      }
    }
  }
}

template <class Get, class Wanted>
std::vector<ContactPair> count_all(const Get& get, const Wanted& wanted, int64_t nz, int64_t ny,
                                   int64_t nx, int threads) {
  std::vector<ContactPair> out;
  if (nz <= 0 || ny <= 0 || nx <= 0) return out;
  // Slabs of a few sections: enough of them to balance uneven slabs across the workers.
  const int64_t grain = std::max<int64_t>(1, (1 << 18) / std::max<int64_t>(ny * nx, 1));
  const int workers = worker_count(nz, threads, grain);
  std::vector<Table> tables(workers);
  parallel_for(
      0, nz, threads,
      [&](int64_t lo, int64_t hi, int worker) {
        count_slab(get, wanted, nz, ny, nx, lo, hi, tables[worker]);
      },
      grain);
  // Face centres are half-integers, so their sums are exact in double and the merge order
  // cannot change them.
  Table& merged = tables[0];
  for (int w = 1; w < workers; ++w) {
    for (const auto& [key, acc] : tables[w]) {
      Accum& dst = merged[key];
      for (int k = 0; k < 3; ++k) {
        dst.faces[k] += acc.faces[k];
        dst.centre_sum[k] += acc.centre_sum[k];
      }
    }
    Table().swap(tables[w]);
  }
  out.reserve(merged.size());
  for (const auto& [key, acc] : merged) {
    ContactPair p;
    p.a = key.a;
    p.b = key.b;
    p.faces = acc.faces;
    p.centre_sum = acc.centre_sum;
    out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const ContactPair& l, const ContactPair& r) {
    return l.a != r.a ? l.a < r.a : l.b < r.b;
  });
  return out;
}

constexpr uint64_t kSecond = uint64_t(1) << 63;

}  // namespace contact_detail

// All touching pairs of a (nz, ny, nx) C-contiguous label volume, sorted by (a, b), a < b.
// Labels are compared as stored (signed values are cast to uint64 for the ids); 0 is
// background. A 2D image is (1, ny, nx): it simply has no z faces.
//   label    input, nz*ny*nx values
//   threads  worker threads (<= 0: all hardware threads)
template <class T>
std::vector<ContactPair> contact_pairs(const T* label, int64_t nz, int64_t ny, int64_t nx,
                                       int threads) {
  auto get = [label](int64_t i) { return static_cast<uint64_t>(label[i]); };
  auto every = [](uint64_t, uint64_t) { return true; };
  return contact_detail::count_all(get, every, nz, ny, nx, threads);
}

// Pairs between two label volumes of one shape that hold different objects (axons and
// muscle fibres): a voxel belongs to `second` where second != 0, else to `first`; only faces
// between a voxel of `first` and one of `second` count. In the result, a is the id in
// `first` and b the id in `second` (ids below 2^63), sorted by (a, b).
template <class T, class U>
std::vector<ContactPair> contact_pairs_between(const T* first, const U* second, int64_t nz,
                                               int64_t ny, int64_t nx, int threads) {
  using contact_detail::kSecond;
  auto get = [first, second](int64_t i) {
    const uint64_t b = static_cast<uint64_t>(second[i]);
    return b != 0 ? (b | kSecond) : static_cast<uint64_t>(first[i]);
  };
  auto across = [](uint64_t u, uint64_t v) { return ((u ^ v) & kSecond) != 0; };
  std::vector<ContactPair> out = contact_detail::count_all(get, across, nz, ny, nx, threads);
  // Keys are stored (smaller, larger): the `first` id is below kSecond, so it is always a.
  for (ContactPair& p : out) p.b &= ~kSecond;
  return out;
}

}  // namespace nmjcore
