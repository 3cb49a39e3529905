#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_morphology(py::module_& m) { (void)m; }  // filled in by the morphology kernel work
}  // namespace nmjcore::bind
