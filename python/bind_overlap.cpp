#include "bind_common.hpp"
#include "nmjcore/overlap.hpp"

namespace nmjcore::bind {

namespace {

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
  py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

py::tuple overlap(const py::array& a, const py::array& b, int threads) {
  require_c_contiguous(a, "a");
  require_c_contiguous(b, "b");
  if (shape_of(a) != shape_of(b)) throw py::value_error("a, b: expected arrays of one shape");
  const int64_t n = a.size();
  return dispatch_integer(a, "a", [&](auto tag_a) -> py::tuple {
    using A = typename decltype(tag_a)::type;
    return dispatch_integer(b, "b", [&](auto tag_b) -> py::tuple {
      using B = typename decltype(tag_b)::type;
      std::vector<A> ids_a;
      std::vector<B> ids_b;
      std::vector<int64_t> counts;
      const A* pa = static_cast<const A*>(a.data());
      const B* pb = static_cast<const B*>(b.data());
      {
        py::gil_scoped_release release;
        overlap_table<A, B>(pa, pb, n, threads, ids_a, ids_b, counts);
      }
      return py::tuple(py::make_tuple(to_array(ids_a), to_array(ids_b), to_array(counts)));
    });
  });
}

}  // namespace

void bind_overlap(py::module_& m) {
  m.def("overlap_table", &overlap, py::arg("a"), py::arg("b"), py::arg("threads"),
        "Sparse overlap table of two C-contiguous integer images of one shape: "
        "(ids_a, ids_b, counts) sorted by (a, b), background pairs included.");
}

}  // namespace nmjcore::bind
