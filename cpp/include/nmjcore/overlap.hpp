// Overlap (contingency) table of two label images of the same shape: for every pair of ids
// (a, b) that occur at the same voxel, the number of such voxels. Every pair is counted,
// background (id 0) included, so callers can drop or keep it as their measure needs.
//
// One pass over the voxels, in flat order: label images are piecewise constant, so runs of
// one (a, b) pair along the contiguous axis are counted first and reach the hash table once
// per run, not once per voxel. Blocks of voxels go to worker threads, each with its own open
// addressing table; the tables are merged and the pairs sorted by (a, b) at the end, so the
// result does not depend on the number of threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "nmjcore/threads.hpp"

namespace nmjcore {

namespace overlap_detail {

// Open addressing, linear probing, power-of-two capacity, at most half full. Keys are the
// ids widened to 64 bits; a count of 0 marks an empty slot.
class PairCounter {
 public:
  PairCounter() { rehash(64); }

  void add(uint64_t a, uint64_t b, int64_t count) {
    if (2 * (size_ + 1) > static_cast<int64_t>(count_.size())) rehash(2 * count_.size());
    const uint64_t mask = count_.size() - 1;
    for (uint64_t slot = hash(a, b) & mask;; slot = (slot + 1) & mask) {
      if (count_[slot] == 0) {
        a_[slot] = a;
        b_[slot] = b;
        count_[slot] = count;
        ++size_;
        return;
      }
      if (a_[slot] == a && b_[slot] == b) {
        count_[slot] += count;
        return;
      }
    }
  }

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (size_t s = 0; s < count_.size(); ++s) {
      if (count_[s] != 0) fn(a_[s], b_[s], count_[s]);
    }
  }

  int64_t size() const { return size_; }

 private:
  static uint64_t hash(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
  }

  void rehash(size_t capacity) {
    std::vector<uint64_t> a(capacity), b(capacity);
    std::vector<int64_t> c(capacity, 0);
    a_.swap(a);
    b_.swap(b);
    count_.swap(c);
    size_ = 0;
    for (size_t s = 0; s < c.size(); ++s) {
      if (c[s] != 0) add(a[s], b[s], c[s]);
    }
  }

  std::vector<uint64_t> a_, b_;
  std::vector<int64_t> count_;
  int64_t size_ = 0;
};

// The id as 64 bits, sign-extended for signed types so the round trip is exact.
template <class T>
uint64_t widen(T v) {
  if constexpr (std::is_signed_v<T>) {
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  } else {
    return static_cast<uint64_t>(v);
  }
}

constexpr int64_t kBlock = int64_t{1} << 16;

}  // namespace overlap_detail

// Counts the (a[k], b[k]) pairs over k in [0, n). Outputs (cleared first, owned by the
// caller): the distinct pairs sorted by (a, b) with their voxel counts.
template <class A, class B>
void overlap_table(const A* a, const B* b, int64_t n, int threads, std::vector<A>& ids_a,
                   std::vector<B>& ids_b, std::vector<int64_t>& counts) {
  using overlap_detail::widen;
  ids_a.clear();
  ids_b.clear();
  counts.clear();
  if (n <= 0) return;
  const int64_t grain = overlap_detail::kBlock;
  const int workers = worker_count(n, threads, grain);
  std::vector<overlap_detail::PairCounter> tables(workers);
  parallel_for(
      0, n, threads,
      [&](int64_t lo, int64_t hi, int worker) {
        overlap_detail::PairCounter& table = tables[worker];
        int64_t start = lo;
        for (int64_t k = lo + 1; k < hi; ++k) {
          if (a[k] != a[start] || b[k] != b[start]) {
            table.add(widen(a[start]), widen(b[start]), k - start);
            start = k;
          }
        }
        table.add(widen(a[start]), widen(b[start]), hi - start);
      },
      grain);
  for (int w = 1; w < workers; ++w) {
    tables[w].for_each([&](uint64_t ka, uint64_t kb, int64_t c) { tables[0].add(ka, kb, c); });
  }
  struct Pair {
    A a;
    B b;
    int64_t count;
  };
  std::vector<Pair> pairs;
  pairs.reserve(tables[0].size());
  tables[0].for_each([&](uint64_t ka, uint64_t kb, int64_t c) {
    pairs.push_back({static_cast<A>(ka), static_cast<B>(kb), c});
  });
  std::sort(pairs.begin(), pairs.end(), [](const Pair& p, const Pair& q) {
    return p.a < q.a || (p.a == q.a && p.b < q.b);
  });
  ids_a.reserve(pairs.size());
  ids_b.reserve(pairs.size());
  counts.reserve(pairs.size());
  for (const Pair& p : pairs) {
    ids_a.push_back(p.a);
    ids_b.push_back(p.b);
    counts.push_back(p.count);
  }
}

}  // namespace nmjcore
