// The extension nmjcore._core: one bind_<family>() per kernel family.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace nmjcore::bind {
void bind_edt(py::module_& m);
void bind_ccl(py::module_& m);
void bind_watershed(py::module_& m);
void bind_morphology(py::module_& m);
void bind_bilateral(py::module_& m);
void bind_regionprops(py::module_& m);
void bind_lap(py::module_& m);
void bind_overlap(py::module_& m);
void bind_contact(py::module_& m);
}  // namespace nmjcore::bind

PYBIND11_MODULE(_core, m) {
  m.doc() = "nmjcore compiled kernels (use the validated fronts in nmjcore.ops)";
  nmjcore::bind::bind_edt(m);
  nmjcore::bind::bind_ccl(m);
  nmjcore::bind::bind_watershed(m);
  nmjcore::bind::bind_morphology(m);
  nmjcore::bind::bind_bilateral(m);
  nmjcore::bind::bind_regionprops(m);
  nmjcore::bind::bind_lap(m);
  nmjcore::bind::bind_overlap(m);
  nmjcore::bind::bind_contact(m);
}
