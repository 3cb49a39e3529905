"""The proofreading queue: links and axon ends, most uncertain first.

A link's uncertainty is the mean of how close its cost is to the cost limit and how little
its best alternative would have cost more (``1 - margin / cost_limit``, clipped to [0, 1]);
split and merge links rank at least 0.5, being guesses from overlap alone, and so do border
links (an axon out of the field for several sections), guesses from position alone. An end
(an axon that starts after the first section or stops before the last) ranks by its
segment's area over the median area, halved and clipped to [0, 0.5]: large axons rarely just
stop.
"""

from __future__ import annotations

import numpy as np

QUEUE_DTYPE = np.dtype([("kind", "U6"), ("z_a", np.int64), ("id_a", np.uint64),
                        ("z_b", np.int64), ("id_b", np.uint64), ("uncertainty", np.float64)])


def link_uncertainty(cost, margin, kind, cost_limit: float) -> np.ndarray:
    closeness = np.clip(cost / cost_limit, 0.0, 1.0)
    ambiguity = np.clip(1.0 - margin / cost_limit, 0.0, 1.0)
    u = 0.5 * (closeness + ambiguity)
    branch = (kind == "split") | (kind == "merge") | (kind == "border")
    return np.where(branch, np.maximum(u, 0.5), u)


def end_uncertainty(areas, median_area: float) -> np.ndarray:
    return np.clip(0.5 * areas / max(median_area, 1.0), 0.0, 0.5)


def build_queue(links, link_u, ends) -> np.ndarray:
    """``ends``: (kind 'start'/'end', z, id, uncertainty) arrays."""
    kind_e, z_e, id_e, u_e = ends
    q = np.zeros(len(links) + len(z_e), QUEUE_DTYPE)
    n = len(links)
    for f in ("kind", "z_a", "id_a", "z_b", "id_b"):
        q[f][:n] = links[f]
    q["uncertainty"][:n] = link_u
    q["kind"][n:] = kind_e
    q["z_a"][n:] = z_e
    q["id_a"][n:] = id_e
    q["z_b"][n:] = -1
    q["uncertainty"][n:] = u_e
    return q[np.argsort(-q["uncertainty"], kind="stable")]
