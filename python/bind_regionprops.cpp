#include "bind_common.hpp"
#include "nmjcore/regionprops.hpp"

namespace nmjcore::bind {

namespace {

struct no_intensity {};

// Calls f(type_tag<I>{}) for the intensity types the kernel is built for (the front converts
// every other numeric dtype to float64), or f(type_tag<no_intensity>{}) when there is none.
template <class F>
decltype(auto) dispatch_intensity(const py::object& intensity, F&& f) {
  if (intensity.is_none()) return f(type_tag<no_intensity>{});
  const py::array a = intensity.cast<py::array>();
  const char kind = a.dtype().kind();
  const auto size = a.itemsize();
  if (kind == 'b' || (kind == 'u' && size == 1)) return f(type_tag<uint8_t>{});
  if (kind == 'u' && size == 2) return f(type_tag<uint16_t>{});
  if (kind == 'f' && size == 4) return f(type_tag<float>{});
  if (kind == 'f' && size == 8) return f(type_tag<double>{});
  throw py::type_error(
      "intensity: expected a bool, uint8, uint16, float32 or float64 array, got dtype " +
      dtype_name(a));
}

py::tuple region_properties(const py::array& labels, const py::object& intensity, int threads) {
  require_ndim(labels, "labels", 1, 3);
  require_c_contiguous(labels, "labels");
  if (!intensity.is_none()) {
    const py::array a = intensity.cast<py::array>();
    require_c_contiguous(a, "intensity");
    if (shape_of(a) != shape_of(labels)) {
      throw py::value_error("intensity: expected the shape of labels");
    }
  }
  const std::vector<int64_t> s = shape3(labels);
  const int ndim = static_cast<int>(labels.ndim());
  const int first_axis = 3 - ndim;  // the kernel's (z, y, x) axes that the image has

  return dispatch_integer(labels, "labels", [&](auto label_tag) -> py::tuple {
    using Label = typename decltype(label_tag)::type;
    return dispatch_intensity(intensity, [&](auto intensity_tag) -> py::tuple {
      using Tag = typename decltype(intensity_tag)::type;
      using I = std::conditional_t<std::is_same_v<Tag, no_intensity>, uint8_t, Tag>;
      const Label* src = static_cast<const Label*>(labels.data());
      const I* values = nullptr;
      if constexpr (!std::is_same_v<Tag, no_intensity>) {
        values = static_cast<const I*>(intensity.cast<py::array>().data());
      }
      std::vector<RegionStats<Label, regionprops_detail::sum_t<I>>> regions;
      {
        py::gil_scoped_release release;
        regions = region_stats<Label, I>(src, values, s[0], s[1], s[2], threads);
      }
      const auto n = static_cast<py::ssize_t>(regions.size());
      py::array_t<Label> ids(n);
      py::array_t<int64_t> counts(n);
      py::array_t<double> centroids({n, static_cast<py::ssize_t>(ndim)});
      py::array_t<int64_t> bbox({n, static_cast<py::ssize_t>(2 * ndim)});
      py::array_t<double> mean(n);
      Label* id_out = ids.mutable_data();
      int64_t* count_out = counts.mutable_data();
      double* centroid_out = centroids.mutable_data();
      int64_t* bbox_out = bbox.mutable_data();
      double* mean_out = mean.mutable_data();
      for (py::ssize_t r = 0; r < n; ++r) {
        const auto& g = regions[r];
        id_out[r] = g.id;
        count_out[r] = g.count;
        for (int a = 0; a < ndim; ++a) {
          const int k = first_axis + a;
          centroid_out[r * ndim + a] =
              static_cast<double>(g.coordinate_sum[k]) / static_cast<double>(g.count);
          bbox_out[r * 2 * ndim + a] = g.lo[k];
          bbox_out[r * 2 * ndim + ndim + a] = g.hi[k] + 1;
        }
        mean_out[r] = static_cast<double>(g.intensity_sum) / static_cast<double>(g.count);
      }
      py::object mean_intensity = py::none();
      if constexpr (!std::is_same_v<Tag, no_intensity>) mean_intensity = mean;
      return py::tuple(py::make_tuple(ids, counts, centroids, bbox, mean_intensity));
    });
  });
}

}  // namespace

void bind_regionprops(py::module_& m) {
  m.def("region_properties", &region_properties, py::arg("labels"), py::arg("intensity"),
        py::arg("threads"),
        "(ids, counts, centroids, bbox, mean_intensity or None) of every non-zero label of a "
        "C-contiguous 1D-3D integer image, sorted by id, in one pass.");
}

}  // namespace nmjcore::bind
