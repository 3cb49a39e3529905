#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_lap(py::module_& m) { (void)m; }  // filled in by the lap kernel work
}  // namespace nmjcore::bind
