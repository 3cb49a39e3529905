#include "bind_common.hpp"
#include "nmjcore/edt.hpp"

namespace nmjcore::bind {

namespace {

py::array_t<float> edt(const py::array& labels, std::vector<double> sampling, bool multi_label,
                       bool squared, bool black_border, int threads) {
  require_ndim(labels, "labels", 1, 3);
  require_c_contiguous(labels, "labels");
  if (sampling.size() != static_cast<size_t>(labels.ndim())) {
    throw py::value_error("sampling: expected one value per axis of labels");
  }
  for (double w : sampling) {
    if (!(w > 0) || !std::isfinite(w)) {
      throw py::value_error("sampling: expected finite positive values");
    }
  }
  while (sampling.size() < 3) sampling.insert(sampling.begin(), 1.0);
  const std::vector<int64_t> s = shape3(labels);
  py::array_t<float> out(shape_of(labels));
  float* dst = out.mutable_data();
  const int ndim = static_cast<int>(labels.ndim());
  dispatch_integer(labels, "labels", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(labels.data());
    py::gil_scoped_release release;
    distance_transform<T>(src, dst, ndim, s[0], s[1], s[2], static_cast<float>(sampling[0]),
                          static_cast<float>(sampling[1]), static_cast<float>(sampling[2]),
                          multi_label, black_border, squared, threads);
  });
  return out;
}

}  // namespace

void bind_edt(py::module_& m) {
  m.def("edt", &edt, py::arg("labels"), py::arg("sampling"), py::arg("multi_label"),
        py::arg("squared"), py::arg("black_border"), py::arg("threads"),
        "Exact Euclidean distance transform (float32) of a C-contiguous 1D-3D integer image.");
}

}  // namespace nmjcore::bind
