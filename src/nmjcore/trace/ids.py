"""Global axon ids: one union-find pass over the links, seeded with the anchors' ids.

Every segment of every section is a node (its position in the concatenated per-section id
lists). Links are applied cheapest first; a link that would join two sets carrying different
anchor ids is refused and reported as a conflict, so an anchor's id never leaks into another
anchor's axon and the link refused is the weakest on the path between them.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _find(parent, i):
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        parent[i], i = root, parent[i]
    return root


@numba.njit(cache=True, nogil=True)
def _union_links(n_nodes, a, b, order, anchor):
    parent = np.arange(n_nodes)
    size = np.ones(n_nodes, np.int64)
    label = anchor.copy()  # anchor id carried by each root, 0 = none
    accepted = np.zeros(len(a), np.bool_)
    for k in order:
        ra, rb = _find(parent, a[k]), _find(parent, b[k])
        if ra == rb:
            accepted[k] = True
            continue
        la, lb = label[ra], label[rb]
        if la != 0 and lb != 0 and la != lb:
            continue
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
        label[ra] = la if la != 0 else lb
        accepted[k] = True
    roots = np.empty(n_nodes, np.int64)
    for i in range(n_nodes):
        roots[i] = _find(parent, i)
    return roots, label, accepted


def union_find(n_nodes: int, a, b, cost=None, anchor=None):
    """Sets of nodes joined by the links ``a[k] -- b[k]``, cheapest first.

    Parameters
    ----------
    n_nodes : int
    a, b : (K,) int arrays
        Node indices of the two ends of each link.
    cost : (K,) float array or None
        Order in which links are applied (ascending; ties in the given order).
    anchor : (n_nodes,) uint64 array or None
        Anchor id of each node, 0 = none.

    Returns
    -------
    ids : (n_nodes,) uint64
        The anchor id of the node's set, else a new id counting up from the largest anchor id
        plus one, in order of each set's first node.
    accepted : (K,) bool
        False for links refused because both sides carried different anchor ids.
    """
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    if len(a) != len(b):
        raise ValueError(f"a, b: expected the same length, got {len(a)} and {len(b)}")
    if len(a) and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n_nodes):
        raise ValueError(f"a, b: expected node indices in [0, {n_nodes}), got out of range")
    order = (np.arange(len(a)) if cost is None
             else np.argsort(np.asarray(cost, dtype=np.float64), kind="stable"))
    anchor = (np.zeros(n_nodes, np.uint64) if anchor is None
              else np.ascontiguousarray(anchor, dtype=np.uint64))
    roots, label, accepted = _union_links(n_nodes, a, b, order.astype(np.int64), anchor)
    root_label = label[roots]
    ids = root_label.copy()
    free = root_label == 0
    if free.any():
        first = int(anchor.max()) + 1 if n_nodes else 1
        uniq, first_node = np.unique(roots[free], return_index=True)
        rank = np.empty(len(uniq), np.int64)
        rank[np.argsort(first_node, kind="stable")] = np.arange(len(uniq))
        ids[free] = first + rank[np.searchsorted(uniq, roots[free])]
    return ids, accepted
