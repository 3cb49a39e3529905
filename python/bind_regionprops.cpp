#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_regionprops(py::module_& m) { (void)m; }  // filled in by the regionprops kernel work
}  // namespace nmjcore::bind
