// Seeded (marker) watershed of 1D-3D images: every voxel reachable from a marker inside the
// mask gets the label of the marker whose flood reaches it first, flooding in order of
// elevation (Beucher & Meyer 1993; the priority-flood form of Soille & Ansoult 1990).
//
// The order is scikit-image's (skimage.segmentation.watershed), reproduced exactly: every
// queue entry has the key (priority, age). A voxel's priority is max(its elevation, the
// priority of the voxel that pushed it); age counts pushes, so among equal priorities the
// first pushed leaves first (FIFO). Markers all enter with age 0 and their own elevation.
// Neighbours are visited in the order of skimage's raveled offsets: by distance from the
// centre, then in C order of the footprint.
//
// Markers of equal elevation all have the key (elevation, 0), and which of them leaves
// scikit-image's binary heap first depends on the heap's layout, not on the keys. To give
// the same labels, the flood runs on a replica of that heap (same sift rules) until the last
// marker that shares its elevation with a competing marker has left (O(n log n) so far).
// From then on no two waiting keys are equal, and any priority queue pops them in the same
// order, so integer elevations continue on a bucket queue (one FIFO per elevation, O(1) per
// voxel); float elevations and compact watershed stay on the heap. With fifo_markers the
// markers are simply queued in raster order like every other entry (pure FIFO), and integer
// elevations run on the bucket queue from the start.
//
// Modes, as scikit-image:
// - plain: a voxel is labelled when it is pushed (it cannot be reached earlier later on);
// - watershed lines: a voxel is labelled when it leaves the queue, unless an in-mask
//   neighbour already carries another label; then it becomes part of a line (label 0, and
//   it leaves the mask so later voxels ignore it);
// - compact (Neubert & Protzel 2014): priority = elevation + compactness * Euclidean
//   distance (voxels) to the marker voxel that started the flood; labelled when it leaves
//   the queue. Unlike scikit-image (which ignores watershed_line when compact), lines are
//   drawn here too when asked for.
//
// The state of every voxel lives in a padded byte buffer with a one-voxel border outside the
// mask, so neighbour offsets need no bounds checks, and it is small enough to stay in cache
// (the flood tests it for every neighbour); queue entries carry the padded and the output
// index (both advance by fixed offsets) and the label, so elevations are read from the input
// and labels go straight to the output.
// The flood is sequential; threads only fill the buffers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "nmjcore/threads.hpp"

namespace nmjcore {

namespace watershed_detail {

constexpr uint8_t kInMask = 1;   // inside the image and the mask, not a line
constexpr uint8_t kLabeled = 2;  // carries a label
constexpr uint8_t kFree = kInMask;

// The image with a one-voxel border along every axis it has; 2D images have nz = 1.
struct Grid {
  int ndim = 0;
  int64_t shape[3] = {1, 1, 1};  // (z, y, x)
  int64_t pad[3] = {0, 0, 0};
  int64_t padded[3] = {1, 1, 1};
  int64_t size = 0;  // padded voxel count

  Grid(int ndim_, int64_t nz, int64_t ny, int64_t nx) : ndim(ndim_) {
    shape[0] = nz;
    shape[1] = ny;
    shape[2] = nx;
    for (int a = 3 - ndim; a < 3; ++a) pad[a] = 1;
    size = 1;
    for (int a = 0; a < 3; ++a) {
      padded[a] = shape[a] + 2 * pad[a];
      size *= padded[a];
    }
  }

  int64_t row_start(int64_t z, int64_t y) const {
    return ((z + pad[0]) * padded[1] + (y + pad[1])) * padded[2] + pad[2];
  }

  // Offsets (padded, output) of the neighbours within `connectivity` orthogonal steps, in
  // scikit-image's order: by number of non-zero steps (distance), then C order.
  std::vector<std::pair<int64_t, int64_t>> neighbour_offsets(int connectivity) const {
    const int64_t padded_stride[3] = {padded[1] * padded[2], padded[2], 1};
    const int64_t stride[3] = {shape[1] * shape[2], shape[2], 1};
    const int first = 3 - ndim;
    int64_t total = 1;
    for (int a = first; a < 3; ++a) total *= 3;
    std::vector<std::pair<int64_t, int64_t>> out;
    for (int steps = 1; steps <= connectivity; ++steps) {
      for (int64_t code = 0; code < total; ++code) {
        int64_t rest = code, nonzero = 0, p = 0, u = 0;
        for (int a = 2; a >= first; --a) {
          const int64_t d = rest % 3 - 1;
          rest /= 3;
          nonzero += d != 0;
          p += d * padded_stride[a];
          u += d * stride[a];
        }
        if (nonzero == steps) out.emplace_back(p, u);
      }
    }
    return out;
  }

  // Euclidean distance in voxels between two padded indices.
  double distance(int64_t p, int64_t q) const {
    const int64_t plane = padded[1] * padded[2];
    const double dz = static_cast<double>(p / plane - q / plane);
    const double dy = static_cast<double>((p % plane) / padded[2] - (q % plane) / padded[2]);
    const double dx = static_cast<double>(p % padded[2] - q % padded[2]);
    return std::sqrt(dz * dz + dy * dy + dx * dx);
  }
};

// What a queue entry carries: the voxel (padded index p, output index u) and its label; when
// labelling at pop, also the marker voxel whose flood pushed it.
template <class Index, class Label, bool WithSource>
struct Item {
  Index p, u;
  Label label;
};
template <class Index, class Label>
struct Item<Index, Label, true> {
  Index p, u;
  Label label;
  Index source;
};

// A heap entry: key (priority, age) and the item.
template <class P, class T>
struct Entry {
  P priority;
  uint64_t age;  // 0 for markers
  T item;

  P priority_value() const { return priority; }
  uint64_t age_value() const { return age; }
  static Entry make(P p, uint64_t a, const T& item) { return {p, a, item}; }
  friend bool before(const Entry& a, const Entry& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.age < b.age;
  }
};

// The same for integer priorities, packed into one 64-bit key (priority above 40 age bits),
// so the heap compares one word.
template <class P, class T>
struct PackedEntry {
  static constexpr int kAgeBits = 40;
  uint64_t key;
  T item;

  P priority_value() const { return static_cast<P>(key >> kAgeBits); }
  uint64_t age_value() const { return key & ((uint64_t{1} << kAgeBits) - 1); }
  static PackedEntry make(P p, uint64_t a, const T& item) {
    return {(static_cast<uint64_t>(p) << kAgeBits) | a, item};
  }
  friend bool before(const PackedEntry& a, const PackedEntry& b) { return a.key < b.key; }
};

template <class P, class T>
using entry_t = std::conditional_t<std::is_integral_v<P>, PackedEntry<P, T>, Entry<P, T>>;

// A binary min-heap with scikit-image's exact sift rules (heap_general.pxi): sift up while
// strictly before the parent; sift down to the left child if it is strictly before, to the
// right child if strictly before the smaller of the two. Ties therefore keep the layout.
template <class E>
class ReplicaHeap {
 public:
  bool empty() const { return items_.empty(); }

  void push(const E& e) {
    size_t child = items_.size();
    items_.push_back(e);
    E* a = items_.data();
    while (child > 0) {
      const size_t parent = (child - 1) / 2;
      if (!before(e, a[parent])) break;
      a[child] = a[parent];
      child = parent;
    }
    a[child] = e;
  }

  E pop() {
    E* a = items_.data();
    const E top = a[0];
    const E last = items_.back();
    items_.pop_back();
    const size_t n = items_.size();
    if (n == 0) return top;
    size_t i = 0;
    for (;;) {
      const size_t l = 2 * i + 1, r = l + 1;
      if (l >= n) break;
      size_t smallest = i;
      const E* best = &last;
      if (before(a[l], *best)) {
        smallest = l;
        best = &a[l];
      }
      if (r < n && before(a[r], *best)) smallest = r;
      if (smallest == i) break;
      a[i] = a[smallest];
      i = smallest;
    }
    a[i] = last;
    return top;
  }

  // Everything left, in pop order.
  std::vector<E> drain_sorted() {
    std::vector<E> out;
    out.swap(items_);
    std::sort(out.begin(), out.end(), [](const E& x, const E& y) { return before(x, y); });
    return out;
  }

 private:
  std::vector<E> items_;
};

// One FIFO per integer priority, stored in chunks of C items drawn from a shared pool. A
// drained chunk goes back to the pool and is the next one filled, so the queue's memory stays
// in cache however many voxels pass through it.
template <class T, int C>
class BucketQueue {
 public:
  explicit BucketQueue(int64_t levels) : levels_(levels) {}

  void push(int64_t level, const T& item) {
    Level& q = levels_[level];
    if (q.tail == q.tail_end) grow(q);
    *q.tail++ = item;
  }

  // Takes the oldest item of `level` into `item`; false when the level is empty.
  bool pop(int64_t level, T& item) {
    Level& q = levels_[level];
    if (q.head == q.tail) {
      if (q.head_chunk) {
        recycle(q.head_chunk);
        q = Level{};
      }
      return false;
    }
    if (q.head == q.head_end) {
      Chunk* done = q.head_chunk;
      q.head_chunk = done->next;
      recycle(done);
      q.head = q.head_chunk->items;
      q.head_end = q.head + C;
    }
    item = *q.head++;
    return true;
  }

 private:
  struct Chunk {
    Chunk* next;
    T items[C];
  };
  struct Level {
    T* head = nullptr;
    T* head_end = nullptr;
    T* tail = nullptr;
    T* tail_end = nullptr;
    Chunk* head_chunk = nullptr;
    Chunk* tail_chunk = nullptr;
  };

  void grow(Level& q) {
    Chunk* c;
    if (!free_.empty()) {
      c = free_.back();
      free_.pop_back();
    } else {
      pool_.push_back(std::make_unique<Chunk>());
      c = pool_.back().get();
    }
    c->next = nullptr;
    if (q.tail_chunk) {
      q.tail_chunk->next = c;
    } else {
      q.head_chunk = c;
      q.head = c->items;
      q.head_end = c->items + C;
    }
    q.tail_chunk = c;
    q.tail = c->items;
    q.tail_end = c->items + C;
  }

  void recycle(Chunk* c) { free_.push_back(c); }

  std::vector<Level> levels_;
  std::vector<Chunk*> free_;
  std::vector<std::unique_ptr<Chunk>> pool_;
};

// The flood. AtPop: label voxels when they leave the queue (watershed lines or compactness)
// instead of when they are pushed.
template <class Elev, class Label, class Index, bool AtPop>
class Flood {
 public:
  using Voxel = Item<Index, Label, AtPop>;

  Flood(const Grid& grid, const Elev* elevation, uint8_t* state, Label* out, int connectivity,
        double compactness, bool lines, bool fifo_markers)
      : grid_(grid), elevation_(elevation), state_(state), out_(out), compactness_(compactness), lines_(lines),
        fifo_markers_(fifo_markers) {
    for (const auto& [p, u] : grid.neighbour_offsets(connectivity)) {
      // Unsigned wrap-around adds negative offsets correctly.
      dp_.push_back(static_cast<Index>(p));
      du_.push_back(static_cast<Index>(u));
    }
  }

  // Integer elevations without compactness: replica heap while tied markers remain, then a
  // bucket queue. Everything else: the replica heap throughout.
  void run(const std::vector<Voxel>& markers) {
    if constexpr (std::is_integral_v<Elev>) {
      if (compactness_ == 0) {
        run_buckets(markers);
        return;
      }
    }
    if (compactness_ > 0) {
      run_heap<double>(markers, kNever);
    } else {
      run_heap<Elev>(markers, kNever);
    }
  }

 private:
  static constexpr size_t kNever = std::numeric_limits<size_t>::max();

  // Pops entries of the replica heap until the `pending` markers whose elevation is at most
  // `last_tied` have left (kNever: until the heap is empty); returns what is left, in order.
  template <class Q>
  std::vector<entry_t<Q, Voxel>> run_heap(const std::vector<Voxel>& markers, size_t pending,
                                          Elev last_tied = Elev(0)) {
    using E = entry_t<Q, Voxel>;
    ReplicaHeap<E> heap;
    // FIFO markers get ages in raster order like every later entry, so no key is shared.
    uint64_t age = 0;
    for (const Voxel& m : markers) {
      heap.push(E::make(static_cast<Q>(elevation_[m.u]), fifo_markers_ ? ++age : 0, m));
    }
    if (pending == 0) return heap.drain_sorted();
    ++age;
    while (!heap.empty()) {
      const E e = heap.pop();
      const Q priority = e.priority_value();
      const bool counted = pending != kNever && e.age_value() == 0 &&
                           priority <= static_cast<Q>(last_tied);
      expand<Q>(e.item, priority, [&](const Voxel& v, Q p) { heap.push(E::make(p, ++age, v)); });
      if (counted && --pending == 0) return heap.drain_sorted();
    }
    return {};
  }

  // Markers that share an elevation with a marker they compete with must leave in
  // scikit-image's heap order; past the last such elevation any FIFO order gives the same
  // labels. Labelled at push, markers of one label are interchangeable (taken one after
  // the other, they claim the same voxels for the same label and push the same entries in a
  // block of consecutive ages, whatever their order), so only an elevation held by two labels
  // counts. Labelled at pop (lines), voxels can be queued twice, so every tie counts.
  void run_buckets(const std::vector<Voxel>& markers) {
    // Priorities never exceed the highest elevation, so only that many levels are needed.
    Elev highest = 0;
    const int64_t n = grid_.shape[0] * grid_.shape[1] * grid_.shape[2];
    for (int64_t i = 0; i < n; ++i) highest = std::max(highest, elevation_[i]);
    const int64_t levels = int64_t{highest} + 1;
    std::vector<int64_t> count(levels, 0);
    std::vector<Label> first(levels, Label(0));
    std::vector<uint8_t> conflict(levels, 0);
    for (const Voxel& m : markers) {
      const Elev v = elevation_[m.u];
      if (count[v]++ == 0) {
        first[v] = m.label;
      } else if (AtPop || m.label != first[v]) {
        conflict[v] = 1;
      }
    }
    int64_t last_tied = -1;
    for (int64_t v = 0; v < levels && !fifo_markers_; ++v) {
      if (conflict[v]) last_tied = v;
    }
    size_t tied = 0;
    for (int64_t v = 0; v <= last_tied; ++v) tied += static_cast<size_t>(count[v]);

    // Small chunks when there are many levels, so sparse levels waste little memory.
    BucketQueue<Voxel, (sizeof(Elev) > 1 ? 32 : 1024)> queue(levels);
    const auto leftovers = run_heap<Elev>(markers, tied,
                                          static_cast<Elev>(std::max<int64_t>(last_tied, 0)));
    int64_t level = levels;
    for (const auto& e : leftovers) {
      queue.push(e.priority_value(), e.item);
      level = std::min<int64_t>(level, e.priority_value());
    }
    Voxel v;
    for (; level < levels; ++level) {
      const Elev here = static_cast<Elev>(level);
      while (queue.pop(level, v)) {
        expand<Elev>(v, here, [&](const Voxel& n, Elev p) { queue.push(p, n); });
      }
    }
  }

  // One entry leaves the queue: label it (AtPop) and push its free neighbours.
  template <class Q, class Push>
  inline void expand(const Voxel& v, Q priority, Push&& push) {
    const Elev* const elevation = elevation_;
    uint8_t* const state = state_;
    Label* const out = out_;
    const size_t k_end = dp_.size();
    const Index* const dp = dp_.data();
    const Index* const du = du_.data();
    if constexpr (!AtPop) {
      for (size_t k = 0; k < k_end; ++k) {
        const Index p = v.p + dp[k];
        if (state[p] != kFree) continue;
        state[p] = kInMask | kLabeled;
        const Index u = v.u + du[k];
        out[u] = v.label;
        const Q e = static_cast<Q>(elevation[u]);
        push(Voxel{p, u, v.label}, e < priority ? priority : e);
      }
    } else {
      uint8_t& self = state[v.p];
      if ((self & kLabeled) && v.p != v.source) return;  // reached earlier
      bool line = !(self & kInMask);
      if (!line && lines_) {
        for (size_t k = 0; k < k_end; ++k) {
          const uint8_t s = state[v.p + dp[k]];
          if ((s & kInMask) && (s & kLabeled) && out[v.u + du[k]] != v.label) {
            self &= static_cast<uint8_t>(~kInMask);
            line = true;
            break;
          }
        }
      }
      if (!line) {
        out[v.u] = v.label;
        self |= kLabeled;
      }
      for (size_t k = 0; k < k_end; ++k) {
        const Index p = v.p + dp[k];
        if (state[p] != kFree) continue;
        const Index u = v.u + du[k];
        Q e = static_cast<Q>(elevation[u]);
        if constexpr (std::is_same_v<Q, double>) {
          if (compactness_ > 0) e += compactness_ * grid_.distance(p, v.source);
        }
        push(Voxel{p, u, v.label, v.source},
             e < priority ? priority : e);
      }
    }
  }

  const Grid& grid_;
  const Elev* elevation_;
  uint8_t* state_;
  Label* out_;
  std::vector<Index> dp_, du_;
  double compactness_;
  bool lines_;
  bool fifo_markers_;
};

template <class Elev, class Label, class Index, bool AtPop>
void watershed_impl(const Elev* elevation, const Label* markers, const uint8_t* mask, Label* out,
                    const Grid& grid, int connectivity, double compactness, bool lines,
                    bool fifo_markers, int threads) {
  using Voxel = Item<Index, Label, AtPop>;
  std::vector<uint8_t> state(grid.size, 0);
  const int64_t ny = grid.shape[1], nx = grid.shape[2];
  const int64_t rows = grid.shape[0] * ny;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(nx, 1));
  // Marker voxels per chunk of rows, joined in raster order afterwards.
  std::vector<std::vector<Voxel>> found((rows + grain - 1) / grain);

  parallel_for(0, rows, threads, [&](int64_t lo, int64_t hi, int) {
    std::vector<Voxel>& mine = found[lo / grain];
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t src = row * nx;
      uint8_t* dst = state.data() + grid.row_start(row / ny, row % ny);
      const Index p0 = static_cast<Index>(dst - state.data());
      for (int64_t x = 0; x < nx; ++x) {
        const bool inside = !mask || mask[src + x];
        const Label m = inside ? markers[src + x] : Label(0);
        out[src + x] = m;
        dst[x] = !inside ? 0 : m ? (kInMask | kLabeled) : kInMask;
        if (m) {
          Voxel v{};
          v.p = static_cast<Index>(p0 + x);
          v.u = static_cast<Index>(src + x);
          v.label = m;
          if constexpr (AtPop) v.source = v.p;
          mine.push_back(v);
        }
      }
    }
  }, grain);

  std::vector<Voxel> seeds;
  for (auto& f : found) seeds.insert(seeds.end(), f.begin(), f.end());
  found = {};
  Flood<Elev, Label, Index, AtPop>(grid, elevation, state.data(), out, connectivity, compactness,
                                   lines, fifo_markers)
      .run(seeds);
}

template <class Elev, class Label, class Index>
void watershed_dispatch(const Elev* elevation, const Label* markers, const uint8_t* mask,
                        Label* out, const Grid& grid, int connectivity, double compactness,
                        bool lines, bool fifo_markers, int threads) {
  if (compactness > 0 || lines) {
    watershed_impl<Elev, Label, Index, true>(elevation, markers, mask, out, grid, connectivity,
                                             compactness, lines, fifo_markers, threads);
  } else {
    watershed_impl<Elev, Label, Index, false>(elevation, markers, mask, out, grid, connectivity,
                                              compactness, lines, fifo_markers, threads);
  }
}

}  // namespace watershed_detail

// Seeded watershed of a C-contiguous (nz, ny, nx) image (ndim 1..3; unused leading sizes 1).
//   elevation  uint8/uint16 (bucket queue) or float/double (heap); NaN is not allowed
//   markers    non-zero = marker label; markers outside the mask are ignored
//   mask       may be null (everything); non-zero = may be labelled
//   out        labels, same shape; 0 where no marker's flood arrives (and on lines)
//   connectivity  1..ndim orthogonal steps to a neighbour (scipy generate_binary_structure)
//   compactness   >= 0; 0 = ordinary watershed
//   fifo_markers  markers of equal elevation leave in raster order (plain FIFO, O(n) on
//                 integer elevations) instead of scikit-image's heap order
// Label is an unsigned type of the markers' width (labels are only copied and compared).
template <class Elev, class Label>
void watershed(const Elev* elevation, const Label* markers, const uint8_t* mask, Label* out,
               int ndim, int64_t nz, int64_t ny, int64_t nx, int connectivity,
               double compactness, bool watershed_line, bool fifo_markers, int threads) {
  static_assert(std::is_unsigned_v<Label>, "labels are handled as unsigned bits");
  const watershed_detail::Grid grid(ndim, nz, ny, nx);
  if (grid.size < static_cast<int64_t>(std::numeric_limits<uint32_t>::max())) {
    watershed_detail::watershed_dispatch<Elev, Label, uint32_t>(
        elevation, markers, mask, out, grid, connectivity, compactness, watershed_line,
        fifo_markers, threads);
  } else {
    watershed_detail::watershed_dispatch<Elev, Label, uint64_t>(
        elevation, markers, mask, out, grid, connectivity, compactness, watershed_line,
        fifo_markers, threads);
  }
}

}  // namespace nmjcore
