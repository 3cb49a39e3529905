// Where a read outside an image lands: the border modes the filter kernels share.
#pragma once

#include <cstdint>

namespace nmjcore {

// Names as in scipy.ndimage. For a row a b c d:
//   constant  k k k | a b c d | k k k   (the caller's value k)
//   reflect   c b a | a b c d | d c b   (edge repeated; scipy's default, OpenCV's REFLECT)
//   nearest   a a a | a b c d | d d d
//   mirror    d c b | a b c d | c b a   (edge not repeated; OpenCV's REFLECT_101)
// reflect and mirror continue periodically, so a border wider than the image is defined.
enum class Border : int { constant = 0, reflect = 1, nearest = 2, mirror = 3 };

// The index inside [0, n) that index i reads, or -1 where it reads the constant.
inline int64_t border_index(int64_t i, int64_t n, Border mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case Border::constant:
      return -1;
    case Border::nearest:
      return i < 0 ? 0 : n - 1;
    case Border::reflect: {
      const int64_t period = 2 * n;
      int64_t m = i % period;
      if (m < 0) m += period;
      return m < n ? m : period - 1 - m;
    }
    case Border::mirror: {
      if (n == 1) return 0;
      const int64_t period = 2 * n - 2;
      int64_t m = i % period;
      if (m < 0) m += period;
      return m < n ? m : period - m;
    }
  }
  return -1;
}

}  // namespace nmjcore
