#include "bind_common.hpp"
#include "nmjcore/watershed.hpp"

namespace nmjcore::bind {

namespace {

// Calls f(type_tag<T>{}) for the elevation types the kernel is built for (the front
// converts other dtypes first).
template <class F>
decltype(auto) dispatch_elevation(const py::array& a, F&& f) {
  const char kind = a.dtype().kind();
  const auto size = a.itemsize();
  if (kind == 'u' && size == 1) return f(type_tag<uint8_t>{});
  if (kind == 'u' && size == 2) return f(type_tag<uint16_t>{});
  if (kind == 'f' && size == 4) return f(type_tag<float>{});
  if (kind == 'f' && size == 8) return f(type_tag<double>{});
  throw py::type_error("elevation: expected a uint8, uint16, float32 or float64 array, got dtype " +
                       dtype_name(a));
}

// Calls f(type_tag<U>{}) with the unsigned type of the markers' width: labels are only
// copied and compared, so signed ids travel as their bits.
template <class F>
decltype(auto) dispatch_label_width(const py::array& a, F&& f) {
  if (a.dtype().kind() != 'b' && a.dtype().kind() != 'u' && a.dtype().kind() != 'i') {
    throw py::type_error("markers: expected a bool or integer array, got dtype " + dtype_name(a));
  }
  switch (a.itemsize()) {
    case 1: return f(type_tag<uint8_t>{});
    case 2: return f(type_tag<uint16_t>{});
    case 4: return f(type_tag<uint32_t>{});
    default: return f(type_tag<uint64_t>{});
  }
}

py::array watershed(const py::array& elevation, const py::array& markers, const py::object& mask,
                    int connectivity, double compactness, bool watershed_line, bool fifo_markers,
                    int threads) {
  require_ndim(elevation, "elevation", 1, 3);
  require_c_contiguous(elevation, "elevation");
  require_c_contiguous(markers, "markers");
  if (shape_of(markers) != shape_of(elevation)) {
    throw py::value_error("markers: expected the shape of elevation");
  }
  const uint8_t* mask_data = nullptr;
  py::array mask_array;
  if (!mask.is_none()) {
    mask_array = mask.cast<py::array>();
    require_c_contiguous(mask_array, "mask");
    if (mask_array.itemsize() != 1 || shape_of(mask_array) != shape_of(elevation)) {
      throw py::value_error("mask: expected a bool/uint8 array of the shape of elevation");
    }
    mask_data = static_cast<const uint8_t*>(mask_array.data());
  }
  const int ndim = static_cast<int>(elevation.ndim());
  if (connectivity < 1 || connectivity > ndim) {
    throw py::value_error("connectivity: expected 1.." + std::to_string(ndim));
  }
  if (!(compactness >= 0) || !std::isfinite(compactness)) {
    throw py::value_error("compactness: expected a finite value >= 0");
  }
  const std::vector<int64_t> s = shape3(elevation);
  py::array out(markers.dtype(), shape_of(markers));
  dispatch_elevation(elevation, [&](auto elevation_tag) {
    using Elev = typename decltype(elevation_tag)::type;
    dispatch_label_width(markers, [&](auto label_tag) {
      using Label = typename decltype(label_tag)::type;
      const Elev* e = static_cast<const Elev*>(elevation.data());
      const Label* m = static_cast<const Label*>(markers.data());
      Label* o = static_cast<Label*>(out.mutable_data());
      py::gil_scoped_release release;
      nmjcore::watershed<Elev, Label>(e, m, mask_data, o, ndim, s[0], s[1], s[2], connectivity,
                                      compactness, watershed_line, fifo_markers, threads);
    });
  });
  return out;
}

}  // namespace

void bind_watershed(py::module_& m) {
  m.def("watershed", &watershed, py::arg("elevation"), py::arg("markers"), py::arg("mask"),
        py::arg("connectivity"), py::arg("compactness"), py::arg("watershed_line"),
        py::arg("fifo_markers"), py::arg("threads"),
        "Seeded watershed of C-contiguous 1D-3D arrays; labels of the markers' dtype.");
}

}  // namespace nmjcore::bind
