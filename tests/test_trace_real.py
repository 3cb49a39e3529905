"""Linking the real EM sections of ../shared/data: cells are the 4-connected components of
the non-membrane pixels of each section. No 3D ground truth there, so the checks are that
linking runs and the chains are plausible; ``-s`` prints the chain-length distribution."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_volume

import nmjcore as nc
from nmjcore.trace import link

pytestmark = pytest.mark.shared_data


def chain_lengths(trace):
    """Number of sections each axon id covers."""
    per_section = [np.unique(a) for a in trace.axon_ids]
    return np.unique(np.concatenate(per_section), return_counts=True)[1]


@pytest.mark.parametrize("name", ["isbi2012.h5", "vnc_stack1.h5"])
def test_real_sections_link_into_plausible_chains(name):
    membrane = shared_volume(name, "membrane")
    cells = np.stack([nc.connected_components(m == 0, 4)[0] for m in membrane])
    n_segments = sum(int(c.max()) for c in cells)
    # one-to-one links only: each chain holds at most one segment per section
    trace = link(cells, min_branch_overlap=None, relabel=False)
    lengths = chain_lengths(trace)
    hist = np.bincount(lengths)[1:]
    weighted = float((lengths ** 2).sum() / lengths.sum())
    with_branches = link(cells, relabel=False)
    per_section = max(int(np.bincount(a.astype(np.int64)).max()) for a in with_branches.axon_ids)
    kinds = dict(zip(*np.unique(trace.links["kind"], return_counts=True)))
    print(f"\n{name}: {n_segments} segments -> {len(lengths)} chains; chain lengths "
          f"(sections: count) {dict(enumerate(hist.tolist(), 1))}; median "
          f"{np.median(lengths):.0f}, segment-weighted mean {weighted:.1f} of "
          f"{len(cells)} sections; links {kinds}; with the branch pass {len(chain_lengths(with_branches))} chains, up to "
          f"{per_section} segments of one chain in one section")
    assert all(np.array_equal(np.unique(a), np.sort(a)) for a in trace.axon_ids)
    # most segments continue into the next section, and chains span many sections
    linked = len(trace.links) / (n_segments - int(cells[-1].max()))
    assert linked > 0.6
    assert weighted > 0.3 * len(cells)
    assert len(trace.conflicts) == 0
    # the branch pass joins only segments that divide in two, a small share of the links
    kinds = with_branches.links["kind"]
    assert np.isin(kinds, ["split", "merge"]).mean() < 0.1
