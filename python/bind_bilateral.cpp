#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_bilateral(py::module_& m) { (void)m; }  // filled in by the bilateral kernel work
}  // namespace nmjcore::bind
