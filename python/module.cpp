// The extension nmjcore._core: one bind_<family>() per kernel family.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace nmjcore::bind {
void bind_edt(py::module_& m);
void bind_ccl(py::module_& m);
}  // namespace nmjcore::bind

PYBIND11_MODULE(_core, m) {
  m.doc() = "nmjcore compiled kernels (use the validated fronts in nmjcore.ops)";
  nmjcore::bind::bind_edt(m);
  nmjcore::bind::bind_ccl(m);
}
