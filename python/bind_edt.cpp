#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_edt(py::module_& m) { (void)m; }  // filled in by the edt kernel work
}  // namespace nmjcore::bind
