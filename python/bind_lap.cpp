#include "bind_common.hpp"
#include "nmjcore/lap.hpp"

namespace nmjcore::bind {

namespace {

py::tuple assignment_result(py::array_t<int64_t>& row_to_col, py::array_t<int64_t>& col_to_row,
                            LapStatus status, double total) {
  if (status == LapStatus::infeasible) {
    throw py::value_error(
        "cost: infeasible, no assignment of every row (or column) avoids the forbidden "
        "(inf) entries; give a finite cost_limit to allow unassigned rows and columns");
  }
  return py::make_tuple(row_to_col, col_to_row, total);
}

py::tuple lapjv(const py::array& cost, double cost_limit) {
  require_ndim(cost, "cost", 2, 2);
  require_c_contiguous(cost, "cost");
  const int64_t n_rows = cost.shape(0), n_cols = cost.shape(1);
  py::array_t<int64_t> row_to_col(n_rows), col_to_row(n_cols);
  int64_t* r2c = row_to_col.mutable_data();
  int64_t* c2r = col_to_row.mutable_data();
  double total = 0.0;
  const LapStatus status = dispatch_float(cost, "cost", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* data = static_cast<const T*>(cost.data());
    py::gil_scoped_release release;
    return lapjv_dense<T>(data, n_rows, n_cols, cost_limit, r2c, c2r, &total);
  });
  return assignment_result(row_to_col, col_to_row, status, total);
}

py::tuple lapjv_sparse_edges(int64_t n_rows, int64_t n_cols, const py::array_t<int64_t>& rows,
                             const py::array_t<int64_t>& cols, const py::array_t<double>& costs,
                             double cost_limit) {
  require_c_contiguous(rows, "rows");
  require_c_contiguous(cols, "cols");
  require_c_contiguous(costs, "costs");
  const int64_t n_edges = rows.size();
  if (cols.size() != n_edges || costs.size() != n_edges) {
    throw py::value_error("rows, cols, costs: expected arrays of one length");
  }
  if (n_rows < 0 || n_cols < 0) throw py::value_error("n_rows, n_cols: expected >= 0");
  const int64_t* r = rows.data();
  const int64_t* c = cols.data();
  for (int64_t e = 0; e < n_edges; ++e) {
    if (r[e] < 0 || r[e] >= n_rows) throw py::value_error("rows: index out of range");
    if (c[e] < 0 || c[e] >= n_cols) throw py::value_error("cols: index out of range");
  }
  py::array_t<int64_t> row_to_col(n_rows), col_to_row(n_cols);
  int64_t* r2c = row_to_col.mutable_data();
  int64_t* c2r = col_to_row.mutable_data();
  const double* w = costs.data();
  double total = 0.0;
  LapStatus status;
  {
    py::gil_scoped_release release;
    status = lapjv_sparse(n_rows, n_cols, r, c, w, n_edges, cost_limit, r2c, c2r, &total);
  }
  return assignment_result(row_to_col, col_to_row, status, total);
}

}  // namespace

void bind_lap(py::module_& m) {
  m.def("lapjv", &lapjv, py::arg("cost"), py::arg("cost_limit"),
        "Dense linear assignment of a C-contiguous float32/float64 matrix: "
        "(row_to_col, col_to_row, total_cost).");
  m.def("lapjv_sparse", &lapjv_sparse_edges, py::arg("n_rows"), py::arg("n_cols"),
        py::arg("rows"), py::arg("cols"), py::arg("costs"), py::arg("cost_limit"),
        "Sparse linear assignment over int64 edge lists with float64 costs: "
        "(row_to_col, col_to_row, total_cost).");
}

}  // namespace nmjcore::bind
