#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_overlap(py::module_& m) { (void)m; }  // filled in by the overlap kernel work
}  // namespace nmjcore::bind
