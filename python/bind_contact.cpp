#include "bind_common.hpp"
#include "nmjcore/contact.hpp"

namespace nmjcore::bind {

namespace {

template <class A, class B>
py::tuple to_arrays(const std::vector<ContactPair>& pairs) {
  const auto n = static_cast<py::ssize_t>(pairs.size());
  py::array_t<A> ids_a(n);
  py::array_t<B> ids_b(n);
  py::array_t<int64_t> faces({n, static_cast<py::ssize_t>(3)});
  py::array_t<double> centre_sum({n, static_cast<py::ssize_t>(3)});
  A* pa = ids_a.mutable_data();
  B* pb = ids_b.mutable_data();
  int64_t* pf = faces.mutable_data();
  double* pc = centre_sum.mutable_data();
  for (py::ssize_t i = 0; i < n; ++i) {
    pa[i] = static_cast<A>(pairs[i].a);
    pb[i] = static_cast<B>(pairs[i].b);
    for (int k = 0; k < 3; ++k) {
      pf[3 * i + k] = pairs[i].faces[k];
      pc[3 * i + k] = pairs[i].centre_sum[k];
    }
  }
  return py::make_tuple(ids_a, ids_b, faces, centre_sum);
}

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
    return to_arrays<T, T>(pairs);
  });
}

// The same between the objects of two volumes (see contact_pairs_between).
py::tuple contact_faces_between(const py::array& first, const py::array& second, int threads) {
  require_ndim(first, "labels_a", 2, 3);
  require_ndim(second, "labels_b", 2, 3);
  require_c_contiguous(first, "labels_a");
  require_c_contiguous(second, "labels_b");
  if (shape_of(first) != shape_of(second)) {
    throw py::value_error("labels_b: expected the shape of labels_a");
  }
  const std::vector<int64_t> s = shape3(first);
  return dispatch_integer(first, "labels_a", [&](auto tag_a) -> py::tuple {
    using A = typename decltype(tag_a)::type;
    return dispatch_integer(second, "labels_b", [&](auto tag_b) -> py::tuple {
      using B = typename decltype(tag_b)::type;
      const A* pa = static_cast<const A*>(first.data());
      const B* pb = static_cast<const B*>(second.data());
      std::vector<ContactPair> pairs;
      {
        py::gil_scoped_release release;
        pairs = contact_pairs_between<A, B>(pa, pb, s[0], s[1], s[2], threads);
      }
      return to_arrays<A, B>(pairs);
    });
  });
}

}  // namespace

void bind_contact(py::module_& m) {
  m.def("contact_faces", &contact_faces, py::arg("labels"), py::arg("threads"),
        "Shared faces per axis and summed face centres of every touching label pair of a "
        "C-contiguous 2D/3D integer volume, sorted by (a, b) with a < b.");
  m.def("contact_faces_between", &contact_faces_between, py::arg("labels_a"),
        py::arg("labels_b"), py::arg("threads"),
        "The same for faces between the objects of labels_a and those of labels_b (which "
        "take the voxels where both are set); ids below 2^63.");
}

}  // namespace nmjcore::bind
