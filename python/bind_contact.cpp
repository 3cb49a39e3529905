#include "bind_common.hpp"

namespace nmjcore::bind {
void bind_contact(py::module_& m) { (void)m; }  // filled in by the contact kernel work
}  // namespace nmjcore::bind
