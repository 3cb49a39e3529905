#include <limits>

#include "bind_common.hpp"
#include "nmjcore/ccl.hpp"

namespace nmjcore::bind {

namespace {

py::tuple ccl(const py::array& image, int connectivity, bool return_counts, int threads,
              int64_t min_slab_voxels) {
  require_ndim(image, "image", 2, 3);
  require_c_contiguous(image, "image");
  const bool is_3d = image.ndim() == 3;
  if (is_3d ? !(connectivity == 6 || connectivity == 18 || connectivity == 26)
            : !(connectivity == 4 || connectivity == 8)) {
    throw py::value_error(std::string("connectivity: expected ") +
                          (is_3d ? "6, 18 or 26" : "4 or 8") + " for a " +
                          (is_3d ? "3D" : "2D") + " image, got " + std::to_string(connectivity));
  }
  const std::vector<int64_t> s = shape3(image);
  if (s[2] >= std::numeric_limits<int32_t>::max()) {
    throw py::value_error("image: the last axis must be shorter than 2^31");
  }
  // numpy.zeros: large outputs come as fresh pages that are zero at no cost, so the kernel
  // writes only the components.
  py::array_t<uint32_t> labels =
      py::module_::import("numpy").attr("zeros")(py::tuple(py::cast(shape_of(image))), "uint32");
  uint32_t* dst = labels.mutable_data();
  std::vector<int64_t> counts;
  const int64_t n = dispatch_integer(image, "image", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(image.data());
    py::gil_scoped_release release;
    return connected_components<T>(src, dst, s[0], s[1], s[2], connectivity,
                                   return_counts ? &counts : nullptr, threads, min_slab_voxels);
  });
  if (n < 0) throw py::value_error("image: more than 2^32 - 1 components do not fit in uint32");
  if (!return_counts) return py::make_tuple(labels, n);
  py::array_t<int64_t> out_counts(static_cast<py::ssize_t>(counts.size()));
  std::copy(counts.begin(), counts.end(), out_counts.mutable_data());
  return py::make_tuple(labels, n, out_counts);
}

}  // namespace

void bind_ccl(py::module_& m) {
  m.def("ccl", &ccl, py::arg("image"), py::arg("connectivity"), py::arg("return_counts"),
        py::arg("threads"), py::arg("min_slab_voxels") = int64_t(1) << 20,
        "Connected components (uint32 ids 1..N in raster order) of a C-contiguous 2D/3D "
        "integer image; returns (labels, N) or (labels, N, counts). Slabs (one per thread) "
        "hold at least min_slab_voxels voxels; tests lower it to cut small images too.");
}

}  // namespace nmjcore::bind
