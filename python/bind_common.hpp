// Shared helpers for the bindings: argument checks that raise Python exceptions naming the
// argument, and one dtype dispatcher so each kernel is instantiated once per supported type.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace nmjcore::bind {

namespace py = pybind11;

template <class T>
struct type_tag {
  using type = T;
};

inline std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// Calls f(type_tag<T>{}) for the integer (or bool, as uint8) dtype of `a`.
template <class F>
decltype(auto) dispatch_integer(const py::array& a, const char* argname, F&& f) {
  const char kind = a.dtype().kind();
  const auto size = a.itemsize();
  if (kind == 'b' || (kind == 'u' && size == 1)) return f(type_tag<uint8_t>{});
  if (kind == 'u' && size == 2) return f(type_tag<uint16_t>{});
  if (kind == 'u' && size == 4) return f(type_tag<uint32_t>{});
  if (kind == 'u' && size == 8) return f(type_tag<uint64_t>{});
  if (kind == 'i' && size == 1) return f(type_tag<int8_t>{});
  if (kind == 'i' && size == 2) return f(type_tag<int16_t>{});
  if (kind == 'i' && size == 4) return f(type_tag<int32_t>{});
  if (kind == 'i' && size == 8) return f(type_tag<int64_t>{});
  throw py::type_error(std::string(argname) + ": expected a bool or integer array, got dtype " +
                       dtype_name(a));
}

// Calls f(type_tag<T>{}) for a float32/float64 array.
template <class F>
decltype(auto) dispatch_float(const py::array& a, const char* argname, F&& f) {
  if (a.dtype().kind() == 'f' && a.itemsize() == 4) return f(type_tag<float>{});
  if (a.dtype().kind() == 'f' && a.itemsize() == 8) return f(type_tag<double>{});
  throw py::type_error(std::string(argname) + ": expected a float32 or float64 array, got dtype " +
                       dtype_name(a));
}

inline void require_ndim(const py::array& a, const char* argname, int lo, int hi) {
  if (a.ndim() < lo || a.ndim() > hi) {
    throw py::value_error(std::string(argname) + ": expected " + std::to_string(lo) +
                          (lo == hi ? "" : ".." + std::to_string(hi)) + " dimensions, got " +
                          std::to_string(a.ndim()));
  }
}

// The kernels read raw buffers: the Python front makes arrays C-contiguous and native-endian
// (copying only when it must); this guards the binding against being called directly.
inline void require_c_contiguous(const py::array& a, const char* argname) {
  if (!(a.flags() & py::array::c_style)) {
    throw py::value_error(std::string(argname) + ": expected a C-contiguous array");
  }
  if (!a.dtype().attr("isnative").cast<bool>()) {
    throw py::value_error(std::string(argname) + ": expected native byte order");
  }
}

inline std::vector<int64_t> shape_of(const py::array& a) {
  std::vector<int64_t> s(a.ndim());
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s[i] = a.shape(i);
  return s;
}

// Shape padded to three dimensions on the left: (y, x) -> (1, y, x).
inline std::vector<int64_t> shape3(const py::array& a) {
  std::vector<int64_t> s = shape_of(a);
  while (s.size() < 3) s.insert(s.begin(), 1);
  return s;
}

}  // namespace nmjcore::bind
