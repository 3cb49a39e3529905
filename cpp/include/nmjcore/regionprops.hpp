// Per-label statistics of a 1D-3D label image in one pass: voxel count, centroid, bounding
// box and the mean of a second (intensity) image.
//
// Ids may be huge and sparse (any integer type, negative values included: every non-zero
// value is a region), so regions are found through an open-addressing hash table keyed by
// the id's bits rather than a dense array indexed by id. Rows are scanned as runs of one
// label: a run updates its region once (count, coordinate sums in closed form, box), and only
// the intensity sum touches every voxel. Consecutive runs usually share a label, so the last
// region found is remembered and the hash is consulted only when the label changes.
//
// Each thread takes one block of rows with its own table; the tables are merged at the end and
// the regions sorted by id. Counts, coordinate sums and boxes are integers, so they do not
// depend on the thread count; nor do intensity sums of integer images. Float intensity sums
// are added in double, in an order that depends on the thread count only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "nmjcore/threads.hpp"

namespace nmjcore {

// One region's running sums, in (z, y, x) order (2D images have z = 0 throughout).
template <class Label, class Sum>
struct RegionStats {
  Label id;
  int64_t count;
  int64_t coordinate_sum[3];
  int64_t lo[3];  // inclusive minimum
  int64_t hi[3];  // inclusive maximum
  Sum intensity_sum;
};

namespace regionprops_detail {

// The accumulator type of an intensity image: exact int64 for integers, double for floats.
template <class I>
using sum_t = std::conditional_t<std::is_floating_point_v<I>, double, int64_t>;

inline uint64_t mix(uint64_t key) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return key;
}

// Open addressing with linear probing. Key 0 marks an empty slot: label 0 is background and
// never stored.
template <class Label, class Sum>
class RegionTable {
 public:
  using Stats = RegionStats<Label, Sum>;

  RegionTable() : slots_(64, Slot{0, 0}), mask_(63) {}

  Stats& find_or_insert(Label id) {
    const uint64_t key = static_cast<uint64_t>(static_cast<std::make_unsigned_t<Label>>(id));
    uint64_t i = mix(key) & mask_;
    for (;;) {
      Slot& s = slots_[i];
      if (s.key == key) return regions_[s.index];
      if (s.key == 0) {
        s.key = key;
        s.index = static_cast<int64_t>(regions_.size());
        regions_.push_back(Stats{id, 0, {0, 0, 0},
                                 {kMax, kMax, kMax}, {-1, -1, -1}, Sum(0)});
        if (2 * regions_.size() > slots_.size()) grow();
        return regions_.back();
      }
      i = (i + 1) & mask_;
    }
  }

  void merge(const RegionTable& other) {
    for (const Stats& r : other.regions_) {
      Stats& m = find_or_insert(r.id);
      m.count += r.count;
      for (int a = 0; a < 3; ++a) {
        m.coordinate_sum[a] += r.coordinate_sum[a];
        m.lo[a] = std::min(m.lo[a], r.lo[a]);
        m.hi[a] = std::max(m.hi[a], r.hi[a]);
      }
      m.intensity_sum += r.intensity_sum;
    }
  }

  std::vector<Stats>& regions() { return regions_; }

 private:
  struct Slot {
    uint64_t key;
    int64_t index;
  };
  static constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

  void grow() {
    std::vector<Slot> bigger(slots_.size() * 2, Slot{0, 0});
    mask_ = bigger.size() - 1;
    for (const Slot& s : slots_) {
      if (s.key == 0) continue;
      uint64_t i = mix(s.key) & mask_;
      while (bigger[i].key != 0) i = (i + 1) & mask_;
      bigger[i] = s;
    }
    slots_.swap(bigger);
  }

  std::vector<Slot> slots_;
  std::vector<Stats> regions_;
  uint64_t mask_;
};

}  // namespace regionprops_detail

// Statistics of every non-zero label of a C-contiguous (nz, ny, nx) image, sorted by id.
// `intensity` (same shape) may be null; then intensity_sum stays 0.
template <class Label, class I>
std::vector<RegionStats<Label, regionprops_detail::sum_t<I>>> region_stats(
    const Label* labels, const I* intensity, int64_t nz, int64_t ny, int64_t nx, int threads) {
  using Sum = regionprops_detail::sum_t<I>;
  using Table = regionprops_detail::RegionTable<Label, Sum>;
  const int64_t rows = nz * ny;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(nx, 1));
  // One fixed block of rows per worker (not dynamic chunks), so float sums are added in the
  // same order on every run with the same thread count.
  const int64_t blocks = worker_count(rows, threads, grain);
  std::vector<Table> tables(blocks);

  parallel_for(0, blocks, threads, [&](int64_t block, int64_t, int) {
    Table& table = tables[block];
    Label last_id = 0;
    RegionStats<Label, Sum>* last = nullptr;
    for (int64_t row = block * rows / blocks; row < (block + 1) * rows / blocks; ++row) {
      const int64_t z = row / ny, y = row % ny;
      const Label* line = labels + row * nx;
      const I* values = intensity ? intensity + row * nx : nullptr;
      int64_t a = 0;
      while (a < nx) {
        const Label id = line[a];
        int64_t b = a + 1;
        while (b < nx && line[b] == id) ++b;
        if (id != 0) {
          // Growing the table moves regions, so `last` is refreshed on every new label.
          if (last == nullptr || id != last_id) {
            last = &table.find_or_insert(id);
            last_id = id;
          }
          const int64_t n = b - a;
          last->count += n;
          last->coordinate_sum[0] += z * n;
          last->coordinate_sum[1] += y * n;
          last->coordinate_sum[2] += (a + b - 1) * n / 2;
          last->lo[0] = std::min(last->lo[0], z);
          last->hi[0] = std::max(last->hi[0], z);
          last->lo[1] = std::min(last->lo[1], y);
          last->hi[1] = std::max(last->hi[1], y);
          last->lo[2] = std::min(last->lo[2], a);
          last->hi[2] = std::max(last->hi[2], b - 1);
          if (values) {
            Sum s = 0;
            for (int64_t i = a; i < b; ++i) s += static_cast<Sum>(values[i]);
            last->intensity_sum += s;
          }
        }
        a = b;
      }
    }
  });

  for (size_t t = 1; t < tables.size(); ++t) tables[0].merge(tables[t]);
  std::vector<RegionStats<Label, Sum>> regions = std::move(tables[0].regions());
  std::sort(regions.begin(), regions.end(),
            [](const auto& p, const auto& q) { return p.id < q.id; });
  return regions;
}

}  // namespace nmjcore
