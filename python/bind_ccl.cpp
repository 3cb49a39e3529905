#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_ccl(py::module_& m) { (void)m; }  // filled in by the ccl kernel work
}  // namespace nmjcore::bind
