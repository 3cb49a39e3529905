#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_watershed(py::module_& m) { (void)m; }  // filled in by the watershed kernel work
}  // namespace nmjcore::bind
