// Linear assignment: minimum-cost matching of rows to columns, dense and sparse.
//
// Both solvers are shortest-augmenting-path methods in the style of Jonker & Volgenant,
// "A Shortest Augmenting Path Algorithm for Dense and Sparse Linear Assignment Problems",
// Computing 38, 325-340 (1987): an initial phase (column reduction and reduction transfer
// for square problems, then augmenting row reduction, an auction-like step) assigns most
// rows cheaply; every row still free is then assigned by one Dijkstra search over reduced
// costs c_ij - u_i - v_j, which keeps the column duals v feasible so the result is optimal.
// The dense solver scans whole rows; the sparse one keeps a heap over the columns reached,
// so a row with a handful of candidate edges costs a handful of steps.
//
// Problem. Rows 0..n_rows-1, columns 0..n_cols-1, cost c_ij (+inf = forbidden edge).
// - cost_limit = +inf: every row is assigned when n_rows <= n_cols (else every column), as
//   scipy.optimize.linear_sum_assignment does; no such assignment = infeasible.
// - cost_limit = L finite: rows and columns may stay unassigned. The objective is that of
//   lap.lapjv(cost, extend_cost=True, cost_limit=L), which pads the matrix to
//   (n_rows + n_cols)^2 with L/2 for "row (or column) unassigned" and 0 between the pads:
//   minimise  sum_assigned c_ij + L/2 (unassigned rows + unassigned columns)
//           = sum_assigned (c_ij - L) + const.
//   Here the padding is implicit: each row i gets one private dummy column n_cols + i of
//   cost L (same optimum, since sum_assigned c_ij + L * unassigned rows differs from the
//   objective above by a constant), so the matrix is never copied or enlarged.
// Rectangular problems are solved with n_rows <= n_cols (the other way is transposed):
// column duals start equal and only columns that become assigned are ever lowered, which is
// what makes the shortest-path phase exact when some columns stay free.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

namespace nmjcore {

enum class LapStatus { ok = 0, infeasible = 1 };

namespace lap_detail {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Row/column state shared by both solvers. Columns n_cols..n_cols+n_rows-1 are the dummy
// columns (one per row) used when a cost limit is given.
struct State {
  int64_t n_rows = 0, n_cols = 0;
  bool limited = false;
  double limit = kInf;
  std::vector<double> v;         // column duals, real then dummy columns
  std::vector<int64_t> x;        // row -> column (-1 free)
  std::vector<int64_t> y;        // column -> row (-1 free)
  std::vector<int64_t> pred;     // Dijkstra predecessor row of each column
  std::vector<double> xcost;     // cost of each row's assigned edge (sparse solver)

  State(int64_t rows, int64_t cols, double cost_limit)
      : n_rows(rows), n_cols(cols), limited(std::isfinite(cost_limit)), limit(cost_limit) {
    const int64_t total = cols + (limited ? rows : 0);
    v.assign(total, 0.0);
    x.assign(rows, -1);
    y.assign(total, -1);
    pred.assign(total, -1);
    xcost.assign(rows, 0.0);
  }
  int64_t dummy(int64_t row) const { return n_cols + row; }
  bool is_dummy(int64_t col) const { return col >= n_cols; }
};

// Flips the alternating path ending at column `sink` (found by a search from a free row).
inline void flip_path(State& s, int64_t sink, int64_t start_row) {
  int64_t j = sink;
  for (;;) {
    const int64_t i = s.pred[j];
    s.y[j] = i;
    std::swap(s.x[i], j);
    if (i == start_row) break;
  }
}

// Augmenting row reduction (JV's second phase), on the rows in `free_rows`, replaced by
// those still free afterwards. Row i takes the column j1 of least reduced cost c_ij - v_j,
// and v_j1 drops by the gap to the second least so that i stays tight there; the row it
// evicts is retried at once if the drop was positive (it now faces a dearer j1), else queued
// for the next pass. Ties (no drop possible) send i to its second choice when j1 is taken,
// which avoids ping-pong. Each pass is bounded, so floating-point creep cannot loop: the
// shortest-path phase finishes whatever is left.
//   for_each(i, fn): calls fn(col, cost) for every finite edge of row i (dummy excluded).
template <class ForEach>
void augmenting_row_reduction(State& s, std::vector<int64_t>& free_rows, ForEach&& for_each) {
  for (int pass = 0; pass < 2 && !free_rows.empty(); ++pass) {
    std::vector<int64_t> next;
    int64_t budget = 4 * static_cast<int64_t>(free_rows.size()) + 16;
    size_t k = 0;
    int64_t current = -1;  // a row retried immediately, before continuing the list
    while (current >= 0 || k < free_rows.size()) {
      const int64_t i = current >= 0 ? current : free_rows[k++];
      current = -1;
      if (--budget < 0) {
        next.push_back(i);
        continue;
      }
      double u1 = kInf, u2 = kInf, c1 = 0.0, c2 = 0.0;
      int64_t j1 = -1, j2 = -1;
      auto consider = [&](int64_t j, double c) {
        const double r = c - s.v[j];
        if (r < u2) {
          if (r < u1) {
            u2 = u1;
            j2 = j1;
            c2 = c1;
            u1 = r;
            j1 = j;
            c1 = c;
          } else {
            u2 = r;
            j2 = j;
            c2 = c;
          }
        }
      };
      for_each(i, consider);
      if (s.limited) consider(s.dummy(i), s.limit);
      if (j1 < 0) {  // no finite edge at all: leave it to the search, which reports it
        next.push_back(i);
        continue;
      }
      int64_t i0 = s.y[j1];
      const bool drop = u1 < u2 && std::isfinite(u2);
      if (drop) {
        s.v[j1] -= u2 - u1;
      } else if (i0 >= 0 && j2 >= 0) {
        j1 = j2;
        c1 = c2;
        i0 = s.y[j1];
      }
      if (i0 >= 0) {
        s.x[i0] = -1;
        if (drop) {
          current = i0;
        } else {
          next.push_back(i0);
        }
      }
      s.x[i] = j1;
      s.y[j1] = i;
      s.xcost[i] = c1;
    }
    free_rows.swap(next);
  }
}

// Dense shortest augmenting path from free row f; row-major costs with stride n_cols.
// `cols` is a permutation of the real columns: [0, scanned) are finalised, the rest to do.
template <class T>
bool augment_dense(State& s, const T* cost, int64_t f, std::vector<double>& d,
                   std::vector<int64_t>& cols) {
  const int64_t n = s.n_cols;
  double* dist = d.data();
  double* v = s.v.data();
  int64_t* pred = s.pred.data();
  int64_t* cl = cols.data();
  const T* row = cost + f * n;
  double best = kInf;
  int64_t best_k = -1;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t j = cl[k];
    const double t = static_cast<double>(row[j]) - v[j];
    dist[j] = t;
    pred[j] = f;
    if (t < best) {
      best = t;
      best_k = k;
    }
  }
  double dummy_dist = s.limited ? s.limit - v[s.dummy(f)] : kInf;
  int64_t dummy_row = f;
  int64_t scanned = 0;
  int64_t sink = -1;
  double mu = 0.0;
  for (;;) {
    if (dummy_dist < best) {
      sink = s.dummy(dummy_row);
      s.pred[sink] = dummy_row;
      mu = dummy_dist;
      break;
    }
    if (best_k < 0 || !std::isfinite(best)) return false;
    const int64_t j = cl[best_k];
    std::swap(cl[best_k], cl[scanned]);
    ++scanned;
    if (s.y[j] < 0) {
      sink = j;
      mu = best;
      break;
    }
    const int64_t i = s.y[j];
    row = cost + i * n;
    const double h = best - (static_cast<double>(row[j]) - v[j]);
    if (s.limited) {
      const double t = h + s.limit - v[s.dummy(i)];
      if (t < dummy_dist) {
        dummy_dist = t;
        dummy_row = i;
      }
    }
    best = kInf;
    best_k = -1;
    for (int64_t k = scanned; k < n; ++k) {
      const int64_t jj = cl[k];
      const double t = h + static_cast<double>(row[jj]) - v[jj];
      double dj = dist[jj];
      if (t < dj) {
        dj = t;
        dist[jj] = t;
        pred[jj] = i;
      }
      if (dj < best) {
        best = dj;
        best_k = k;
      }
    }
  }
  for (int64_t k = 0; k < scanned; ++k) {
    const int64_t j = cl[k];
    v[j] += dist[j] - mu;
  }
  flip_path(s, sink, f);
  return true;
}

// Column reduction and reduction transfer (JV's first phase), square unlimited problems
// only: v_j = min_i c_ij, each column's argmin row takes it if still free, and rows that
// got exactly one column pass the slack to their second-best column. Returns the free rows,
// or reports infeasible when a column has no finite entry.
template <class T>
bool column_reduction(State& s, const T* cost, std::vector<int64_t>& free_rows) {
  const int64_t n = s.n_cols;
  std::vector<int64_t> argmin(n, 0);
  for (int64_t j = 0; j < n; ++j) s.v[j] = static_cast<double>(cost[j]);
  for (int64_t i = 1; i < n; ++i) {
    const T* row = cost + i * n;
    for (int64_t j = 0; j < n; ++j) {
      const double c = static_cast<double>(row[j]);
      if (c < s.v[j]) {
        s.v[j] = c;
        argmin[j] = i;
      }
    }
  }
  std::vector<int64_t> matches(n, 0);
  for (int64_t j = n - 1; j >= 0; --j) {
    if (!std::isfinite(s.v[j])) return false;
    const int64_t i = argmin[j];
    if (++matches[i] == 1) {
      s.x[i] = j;
      s.y[j] = i;
    } else if (s.v[j] < s.v[s.x[i]]) {
      s.y[s.x[i]] = -1;
      s.x[i] = j;
      s.y[j] = i;
    }
  }
  free_rows.clear();
  for (int64_t i = 0; i < n; ++i) {
    if (matches[i] == 0) {
      free_rows.push_back(i);
    } else if (matches[i] == 1) {
      const int64_t j1 = s.x[i];
      const T* row = cost + i * n;
      double second = kInf;
      for (int64_t j = 0; j < n; ++j) {
        if (j != j1) second = std::min(second, static_cast<double>(row[j]) - s.v[j]);
      }
      if (std::isfinite(second)) s.v[j1] = static_cast<double>(row[j1]) - second;
    }
  }
  return true;
}

// Solves with n_rows <= n_cols on a row-major matrix.
template <class T>
LapStatus solve_dense_wide(const T* cost, int64_t n_rows, int64_t n_cols, double cost_limit,
                           int64_t* row_to_col) {
  State s(n_rows, n_cols, cost_limit);
  std::vector<int64_t> free_rows;
  if (n_rows == n_cols && !s.limited) {
    if (!column_reduction(s, cost, free_rows)) return LapStatus::infeasible;
  } else {
    free_rows.resize(n_rows);
    for (int64_t i = 0; i < n_rows; ++i) free_rows[i] = i;
  }
  augmenting_row_reduction(s, free_rows, [&](int64_t i, auto&& fn) {
    const T* row = cost + i * n_cols;
    for (int64_t j = 0; j < n_cols; ++j) {
      const double c = static_cast<double>(row[j]);
      if (c < kInf) fn(j, c);
    }
  });
  std::vector<double> d(n_cols);
  std::vector<int64_t> cols(n_cols);
  for (int64_t j = 0; j < n_cols; ++j) cols[j] = j;
  for (int64_t f : free_rows) {
    if (!augment_dense(s, cost, f, d, cols)) return LapStatus::infeasible;
  }
  for (int64_t i = 0; i < n_rows; ++i) row_to_col[i] = s.is_dummy(s.x[i]) ? -1 : s.x[i];
  return LapStatus::ok;
}

// Fills col_to_row from row_to_col and sums the assigned costs.
template <class T>
double finish(const T* cost, int64_t n_rows, int64_t n_cols, const int64_t* row_to_col,
              int64_t* col_to_row) {
  std::fill(col_to_row, col_to_row + n_cols, int64_t{-1});
  double total = 0.0;
  for (int64_t i = 0; i < n_rows; ++i) {
    const int64_t j = row_to_col[i];
    if (j >= 0) {
      col_to_row[j] = i;
      total += static_cast<double>(cost[i * n_cols + j]);
    }
  }
  return total;
}

}  // namespace lap_detail

// Dense linear assignment of a row-major (n_rows, n_cols) cost matrix; +inf = forbidden,
// cost_limit as described at the top of this file. Writes row_to_col (n_rows) and
// col_to_row (n_cols), -1 = unassigned, and the sum of the assigned costs into *total.
// Costs must not be NaN or -inf (the caller checks).
template <class T>
LapStatus lapjv_dense(const T* cost, int64_t n_rows, int64_t n_cols, double cost_limit,
                      int64_t* row_to_col, int64_t* col_to_row, double* total) {
  using namespace lap_detail;
  *total = 0.0;
  std::fill(row_to_col, row_to_col + n_rows, int64_t{-1});
  std::fill(col_to_row, col_to_row + n_cols, int64_t{-1});
  if (n_rows == 0 || n_cols == 0) return LapStatus::ok;
  LapStatus status;
  if (n_rows <= n_cols) {
    status = solve_dense_wide(cost, n_rows, n_cols, cost_limit, row_to_col);
    if (status != LapStatus::ok) return status;
  } else {
    std::vector<T> transposed(static_cast<size_t>(n_rows * n_cols));
    for (int64_t i = 0; i < n_rows; ++i) {
      for (int64_t j = 0; j < n_cols; ++j) transposed[j * n_rows + i] = cost[i * n_cols + j];
    }
    status = solve_dense_wide(transposed.data(), n_cols, n_rows, cost_limit, col_to_row);
    if (status != LapStatus::ok) return status;
    for (int64_t j = 0; j < n_cols; ++j) {
      if (col_to_row[j] >= 0) row_to_col[col_to_row[j]] = j;
    }
  }
  *total = finish(cost, n_rows, n_cols, row_to_col, col_to_row);
  return LapStatus::ok;
}

namespace lap_detail {

// Compressed rows of a sparse cost matrix.
struct Csr {
  std::vector<int64_t> start;  // n_rows + 1
  std::vector<int64_t> col;
  std::vector<double> cost;
};

// Counting sort of (row, col, cost) edges into rows; `transpose` swaps rows and columns.
inline Csr to_csr(int64_t n_rows, const int64_t* rows, const int64_t* cols, const double* costs,
                  int64_t n_edges, bool transpose) {
  const int64_t* r = transpose ? cols : rows;
  const int64_t* c = transpose ? rows : cols;
  Csr m;
  m.start.assign(n_rows + 1, 0);
  for (int64_t e = 0; e < n_edges; ++e) ++m.start[r[e] + 1];
  for (int64_t i = 0; i < n_rows; ++i) m.start[i + 1] += m.start[i];
  m.col.resize(n_edges);
  m.cost.resize(n_edges);
  std::vector<int64_t> fill(m.start.begin(), m.start.end() - 1);
  for (int64_t e = 0; e < n_edges; ++e) {
    const int64_t at = fill[r[e]]++;
    m.col[at] = c[e];
    m.cost[at] = costs[e];
  }
  return m;
}

// Dijkstra scratch for the sparse search, reset only where it was touched.
struct SparseScratch {
  std::vector<double> d;
  std::vector<char> done;
  std::vector<double> pred_cost;  // cost of the edge pred[j] -> j that gave d[j]
  std::vector<int64_t> touched, scanned;
  std::vector<std::pair<double, int64_t>> heap;

  explicit SparseScratch(int64_t n) : d(n, kInf), done(n, 0), pred_cost(n, 0.0) {}
  void reset() {
    for (int64_t j : touched) {
      d[j] = kInf;
      done[j] = 0;
    }
    touched.clear();
    scanned.clear();
    heap.clear();
  }
};

// Sparse shortest augmenting path from free row f: a binary heap over reached columns.
inline bool augment_sparse(State& s, const Csr& m, int64_t f, SparseScratch& w) {
  using Item = std::pair<double, int64_t>;
  auto later = [](const Item& a, const Item& b) { return a.first > b.first; };
  auto relax = [&](int64_t i, double h, int64_t j, double c) {
    const double t = h + c - s.v[j];
    if (t < w.d[j]) {
      if (w.d[j] == kInf) w.touched.push_back(j);
      w.d[j] = t;
      s.pred[j] = i;
      w.pred_cost[j] = c;
      w.heap.emplace_back(t, j);
      std::push_heap(w.heap.begin(), w.heap.end(), later);
    }
  };
  auto relax_row = [&](int64_t i, double h) {
    for (int64_t e = m.start[i]; e < m.start[i + 1]; ++e) {
      if (!w.done[m.col[e]]) relax(i, h, m.col[e], m.cost[e]);
    }
    if (s.limited) relax(i, h, s.dummy(i), s.limit);
  };
  relax_row(f, 0.0);
  int64_t sink = -1;
  double mu = 0.0;
  while (!w.heap.empty()) {
    std::pop_heap(w.heap.begin(), w.heap.end(), later);
    const auto [t, j] = w.heap.back();
    w.heap.pop_back();
    if (w.done[j] || t > w.d[j]) continue;
    w.done[j] = 1;
    w.scanned.push_back(j);
    if (s.y[j] < 0) {
      sink = j;
      mu = t;
      break;
    }
    const int64_t i = s.y[j];
    relax_row(i, t - (s.xcost[i] - s.v[j]));
  }
  if (sink < 0) {
    w.reset();
    return false;
  }
  for (int64_t j : w.scanned) s.v[j] += w.d[j] - mu;
  int64_t j = sink;
  for (;;) {
    const int64_t i = s.pred[j];
    s.y[j] = i;
    s.xcost[i] = w.pred_cost[j];
    std::swap(s.x[i], j);
    if (i == f) break;
  }
  w.reset();
  return true;
}

// Solves with n_rows <= n_cols. Writes row_to_col and the assigned edge costs.
inline LapStatus solve_sparse_wide(const Csr& m, int64_t n_rows, int64_t n_cols,
                                   double cost_limit, int64_t* row_to_col, double* row_cost) {
  State s(n_rows, n_cols, cost_limit);
  std::vector<int64_t> free_rows(n_rows);
  for (int64_t i = 0; i < n_rows; ++i) free_rows[i] = i;
  augmenting_row_reduction(s, free_rows, [&](int64_t i, auto&& fn) {
    for (int64_t e = m.start[i]; e < m.start[i + 1]; ++e) fn(m.col[e], m.cost[e]);
  });
  SparseScratch w(static_cast<int64_t>(s.v.size()));
  for (int64_t f : free_rows) {
    if (!augment_sparse(s, m, f, w)) return LapStatus::infeasible;
  }
  for (int64_t i = 0; i < n_rows; ++i) {
    const bool assigned = !s.is_dummy(s.x[i]);
    row_to_col[i] = assigned ? s.x[i] : -1;
    row_cost[i] = assigned ? s.xcost[i] : 0.0;
  }
  return LapStatus::ok;
}

}  // namespace lap_detail

// Sparse linear assignment over the listed edges (rows[e], cols[e]) of finite cost costs[e];
// every other pair is forbidden. Same problem, cost_limit and outputs as lapjv_dense; an
// edge listed twice counts with its cheaper cost. Indices must be in range (the caller
// checks).
inline LapStatus lapjv_sparse(int64_t n_rows, int64_t n_cols, const int64_t* rows,
                              const int64_t* cols, const double* costs, int64_t n_edges,
                              double cost_limit, int64_t* row_to_col, int64_t* col_to_row,
                              double* total) {
  using namespace lap_detail;
  *total = 0.0;
  std::fill(row_to_col, row_to_col + n_rows, int64_t{-1});
  std::fill(col_to_row, col_to_row + n_cols, int64_t{-1});
  if (n_rows == 0 || n_cols == 0) return LapStatus::ok;
  const bool transpose = n_rows > n_cols;
  const int64_t n_short = transpose ? n_cols : n_rows;
  const int64_t n_long = transpose ? n_rows : n_cols;
  const Csr m = to_csr(n_short, rows, cols, costs, n_edges, transpose);
  std::vector<double> row_cost(n_short);
  int64_t* short_to_long = transpose ? col_to_row : row_to_col;
  int64_t* long_to_short = transpose ? row_to_col : col_to_row;
  const LapStatus status =
      solve_sparse_wide(m, n_short, n_long, cost_limit, short_to_long, row_cost.data());
  if (status != LapStatus::ok) {
    std::fill(short_to_long, short_to_long + n_short, int64_t{-1});
    return status;
  }
  for (int64_t i = 0; i < n_short; ++i) {
    if (short_to_long[i] >= 0) {
      long_to_short[short_to_long[i]] = i;
      *total += row_cost[i];
    }
  }
  return LapStatus::ok;
}

}  // namespace nmjcore
