#include "bind_common.hpp"
#include "nmjcore/contact.hpp"

namespace nmjcore::bind {

namespace {

// -> (ids_a, ids_b, faces (n, 3) int64 per axis z/y/x, centre_sum (n, 3) float64 voxel units)
py::tuple contact_faces(const py::array& labels, int threads) {
  require_ndim(labels, "labels", 2, 3);
  require_c_contiguous(labels, "labels");
  const std::vector<int64_t> s = shape3(labels);
  return dispatch_integer(labels, "labels", [&](auto tag) -> py::tuple {
    using T = typename decltype(tag)::type;
    const T* src = static_cast<const T*>(labels.data());
    std::vector<ContactPair> pairs;
    {
      py::gil_scoped_release release;
      pairs = contact_pairs<T>(src, s[0], s[1], s[2], threads);
    }
    const auto n = static_cast<py::ssize_t>(pairs.size());
    py::array_t<T> ids_a(n), ids_b(n);
    py::array_t<int64_t> faces({n, static_cast<py::ssize_t>(3)});
    py::array_t<double> centre_sum({n, static_cast<py::ssize_t>(3)});
    T* pa = ids_a.mutable_data();
    T* pb = ids_b.mutable_data();
    int64_t* pf = faces.mutable_data();
    double* pc = centre_sum.mutable_data();
    for (py::ssize_t i = 0; i < n; ++i) {
      pa[i] = static_cast<T>(pairs[i].a);
      pb[i] = static_cast<T>(pairs[i].b);
      for (int k = 0; k < 3; ++k) {
        pf[3 * i + k] = pairs[i].faces[k];
        pc[3 * i + k] = pairs[i].centre_sum[k];
      }
    }
    return py::make_tuple(ids_a, ids_b, faces, centre_sum);
  });
}

}  // namespace

void bind_contact(py::module_& m) {
  m.def("contact_faces", &contact_faces, py::arg("labels"), py::arg("threads"),
        "Shared faces per axis and summed face centres of every touching label pair of a "
        "C-contiguous 2D/3D integer volume, sorted by (a, b) with a < b.");
}

}  // namespace nmjcore::bind
