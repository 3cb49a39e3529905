#include "bind_common.hpp"
#include "nmjcore/morphology.hpp"

namespace nmjcore::bind {

namespace {

// Calls f(type_tag<T>{}) for every dtype the morphology kernels take: bool (as uint8),
// the integers, float32 and float64.
template <class F>
decltype(auto) dispatch_numeric(const py::array& a, const char* argname, F&& f) {
  if (a.dtype().kind() == 'f') return dispatch_float(a, argname, std::forward<F>(f));
  return dispatch_integer(a, argname, std::forward<F>(f));
}

py::array morphology(const py::array& image, const py::array& footprint, bool dilate,
                     int border, double cval, int64_t iterations, int threads) {
  require_ndim(image, "image", 2, 3);
  require_c_contiguous(image, "image");
  require_c_contiguous(footprint, "footprint");
  if (footprint.ndim() != image.ndim()) {
    throw py::value_error("footprint: expected as many dimensions as image");
  }
  if (footprint.dtype().kind() != 'b' && !(footprint.dtype().kind() == 'u' &&
                                             footprint.itemsize() == 1)) {
    throw py::type_error("footprint: expected a bool or uint8 array, got dtype " +
                         dtype_name(footprint));
  }
  const auto* fp = static_cast<const uint8_t*>(footprint.data());
  const std::vector<int64_t> fs = shape3(footprint);
  const int64_t fsize = fs[0] * fs[1] * fs[2];
  if (std::none_of(fp, fp + fsize, [](uint8_t v) { return v != 0; })) {
    throw py::value_error("footprint: expected at least one True element");
  }
  if (border < 0 || border > 3) throw py::value_error("border: expected 0..3");
  if (iterations < 1) throw py::value_error("iterations: expected a positive int");
  const std::vector<int64_t> s = shape3(image);
  py::array out(image.dtype(), shape_of(image));
  dispatch_numeric(image, "image", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(image.data());
    T* dst = static_cast<T*>(out.mutable_data());
    const T value = static_cast<T>(cval);
    py::gil_scoped_release release;
    nmjcore::morphology<T>(src, dst, s[0], s[1], s[2], fp, fs[0], fs[1], fs[2], dilate,
                           static_cast<Border>(border), value, iterations, threads);
  });
  return out;
}

}  // namespace

void bind_morphology(py::module_& m) {
  m.def("morphology", &morphology, py::arg("image"), py::arg("footprint"), py::arg("dilate"),
        py::arg("border"), py::arg("cval"), py::arg("iterations"), py::arg("threads"),
        "Flat erosion (dilate=False) or dilation of a C-contiguous 2D/3D image by a footprint "
        "of the same ndim; border 0 constant, 1 reflect, 2 nearest, 3 mirror.");
}

}  // namespace nmjcore::bind
