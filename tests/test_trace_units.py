"""The pieces of nmjcore.trace on small hand-made inputs: union-find ids, anchors, shift
estimation, candidates and costs, id maps, argument checks, ROI merging."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components as csgraph_components

import nmjcore as nc
from nmjcore.trace import CostWeights, estimate_shift, link, union_find
from nmjcore.trace.candidates import candidates
from nmjcore.trace.rois import merge_rois
from nmjcore.trace.sections import Segments, apply_id_map


def _same_partition(x, y):
    """True when the two labelings group the items identically."""
    pairs = np.unique(np.stack([x, y], 1), axis=0)
    return len(pairs) == len(np.unique(x)) == len(np.unique(y))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), data=st.data())
def test_union_find_matches_scipy_components(n, data):
    k = data.draw(st.integers(0, 60))
    a = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)), np.int64)
    b = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)), np.int64)
    ids, accepted = union_find(n, a, b)
    graph = sp.coo_matrix((np.ones(k), (a, b)), shape=(n, n))
    _, ref = csgraph_components(graph, directed=False)
    assert accepted.all()
    assert _same_partition(ids, ref)
    assert ids.min() == 1 and ids.max() == len(np.unique(ref))
    assert ids[0] == 1  # new ids count up in order of each set's first node


def test_union_find_anchors_propagate_and_conflicts_are_refused():
    # chain 0-1-2-3-4 with anchors 7 at node 0 and 9 at node 4; link 2-3 is the dearest
    a = np.array([0, 1, 2, 3])
    b = np.array([1, 2, 3, 4])
    cost = np.array([0.1, 0.2, 0.7, 0.1])
    anchor = np.array([7, 0, 0, 0, 9, 0], np.uint64)
    ids, accepted = union_find(6, a, b, cost, anchor)
    assert ids.tolist() == [7, 7, 7, 9, 9, 10]
    assert accepted.tolist() == [True, True, False, True]
    # the anchor survives whichever side is the larger set when two sets join
    ids, _ = union_find(4, [1, 2, 0], [2, 3, 1], anchor=np.array([5, 0, 0, 0], np.uint64))
    assert ids.tolist() == [5, 5, 5, 5]


def test_union_find_checks_indices():
    with pytest.raises(ValueError, match="a, b"):
        union_find(3, [0], [3])
    with pytest.raises(ValueError, match="a, b"):
        union_find(3, [0, 1], [2])


def _disc_section(shape, centres, radius, ids):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    out = np.zeros(shape, np.uint32)
    for (cy, cx), r, i in zip(centres, radius, ids):
        out[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = i
    return out


@pytest.mark.parametrize("shift", [(0, 0), (3, -5), (-40, 22), (70, 61)])
def test_estimate_shift_recovers_a_translation(rng, shift):
    centres = rng.uniform(60, 452, (40, 2))
    radii = rng.uniform(6, 14, 40)
    a = _disc_section((512, 512), centres, radii, np.arange(1, 41))
    b = _disc_section((512, 512), centres + shift, radii, np.arange(1, 41))
    dy, dx = estimate_shift(a, b)
    assert abs(dy - shift[0]) <= 1.0 and abs(dx - shift[1]) <= 1.0
    # segments that also change size and move a little: still within a few pixels
    jitter = rng.normal(0, 1.0, (40, 2))
    c = _disc_section((512, 512), centres + shift + jitter, rng.uniform(6, 14, 40),
                      np.arange(1, 41))
    dy, dx = estimate_shift(a, c)
    assert abs(dy - shift[0]) <= 3.0 and abs(dx - shift[1]) <= 3.0


def test_estimate_shift_empty_and_bad_shapes():
    a = np.zeros((64, 64), np.uint32)
    b = a.copy()
    b[10:20, 10:20] = 1
    assert estimate_shift(a, b) == (0.0, 0.0)
    with pytest.raises(ValueError, match="a, b"):
        estimate_shift(a, np.zeros((32, 64)))


def test_candidates_overlap_plus_radius_and_costs():
    a = np.zeros((40, 60), np.uint32)
    b = np.zeros((40, 60), np.uint32)
    a[5:15, 5:15] = 1     # overlaps b's 4 exactly
    a[20:30, 40:50] = 2   # near b's 9 (centroids 8.5 px apart) without overlap
    b[5:15, 5:15] = 4
    b[20:30, 51:56] = 9
    seg_a, seg_b = Segments.of(a), Segments.of(b)
    w = CostWeights()
    cand = candidates(a, b, seg_a, seg_b, (0.0, 0.0), radius=10.0, weights=w)
    pairs = {(int(seg_a.ids[r]), int(seg_b.ids[c])): k
             for k, (r, c) in enumerate(zip(cand.rows, cand.cols))}
    assert set(pairs) == {(1, 4), (2, 9)}
    assert cand.cost[pairs[1, 4]] == pytest.approx(0.0)
    k = pairs[2, 9]
    assert cand.intersection[k] == 0
    assert cand.distance[k] == pytest.approx(8.5)
    expected = w.overlap * 1.0 + w.distance * 0.85 + w.area * (1 - 50 / 100)
    assert cand.cost[k] == pytest.approx(expected)


def test_cost_weights_reject_bad_values():
    with pytest.raises(ValueError, match="weights.distance"):
        CostWeights(distance=-1.0)


@pytest.mark.parametrize("big", [False, True])
def test_apply_id_map(big):
    ids = np.array([3, 8, 2**40 if big else 11], np.uint64)
    axons = np.array([5, 6, 7], np.uint32)
    section = np.array([[0, 3, 8], [int(ids[2]), 4, 3]], np.uint64)
    out = apply_id_map(section, ids, axons)
    assert out.dtype == np.uint32
    assert out.tolist() == [[0, 5, 6], [7, 0, 5]]


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.uint64])
def test_apply_id_map_matches_a_dictionary(rng, dtype):
    section = rng.integers(0, 60, (13, 17)).astype(dtype)
    if np.dtype(dtype).kind == "i":
        section[0, :3] = -5  # not a segment id: 0
    seg_ids = np.unique(rng.integers(1, 50, 20)).astype(dtype)
    axons = rng.integers(1, 1000, len(seg_ids)).astype(np.uint32)
    table = dict(zip(seg_ids.tolist(), axons.tolist()))
    want = np.vectorize(lambda v: table.get(int(v), 0))(section)
    assert np.array_equal(apply_id_map(section, seg_ids, axons), want)
    assert np.array_equal(apply_id_map(np.asfortranarray(section), seg_ids, axons), want)
    out = np.full((2,) + section.shape, 9, np.uint32)
    apply_id_map(section, seg_ids, axons, out=out[1])
    assert np.array_equal(out[1], want) and (out[0] == 9).all()


def test_link_checks_arguments():
    stack = np.zeros((2, 8, 8), np.uint32)
    with pytest.raises(ValueError, match="max_gap"):
        link(stack, max_gap=0)
    with pytest.raises(ValueError, match="cost_limit"):
        link(stack, cost_limit=-1)
    with pytest.raises(ValueError, match="sections"):
        link(np.zeros((8, 8), np.uint32))
    with pytest.raises(TypeError, match="sections"):
        link(np.zeros((2, 8, 8), np.float32))
    with pytest.raises(TypeError, match="weights"):
        link(stack, weights=(1, 1, 1))
    with pytest.raises(ValueError, match="anchors"):
        link(stack, anchors={5: np.zeros((8, 8), np.uint32)})
    with pytest.raises(ValueError, match="min_branch_overlap"):
        link(stack, min_branch_overlap=2.0)


def test_link_edge_cases():
    one = link(np.zeros((1, 5, 5), np.uint32))
    assert one.ids.shape == (1, 5, 5) and len(one.links) == 0 and len(one.queue) == 0
    empty = link(np.zeros((4, 6, 6), np.uint8))
    assert not empty.ids.any() and len(empty.links) == 0
    single = np.zeros((3, 6, 6), np.uint64)
    single[:, 2, 2] = [2**40, 1, 2**63]  # one pixel per section, huge ids
    t = link(single)
    assert t.ids[:, 2, 2].tolist() == [1, 1, 1]
    assert t.links["id_a"].tolist() == [2**40, 1]


def test_link_accepts_sequences_and_fortran_views():
    stack = np.zeros((4, 20, 20), np.uint16)
    for z in range(4):
        stack[z, 2 + z:8 + z, 3:9] = 10 + z
        stack[z, 12:18, 10 + z:16 + z] = 40 - z
    ref = link(stack)
    as_list = link([np.asfortranarray(s) for s in stack], relabel=False)
    assert as_list.ids is None
    for z in range(4):
        assert np.array_equal(as_list.relabel(z, stack[z]), ref.ids[z])
    assert np.array_equal(ref.links, as_list.links)
    assert len(np.unique(ref.ids)) == 3


def test_anchor_forms_give_the_same_ids():
    stack = np.zeros((3, 16, 16), np.uint32)
    stack[:, 2:7, 2:7] = np.array([1, 5, 2])[:, None, None]
    stack[:, 9:14, 9:14] = np.array([2, 6, 1])[:, None, None]
    by_image = np.zeros((16, 16), np.uint32)
    by_image[1:8, 1:8] = 40          # covers segment 1 of section 0
    by_image[9:14, 9:12] = 50        # covers 60 % of segment 2
    t1 = link(stack, anchors={0: by_image})
    t2 = link(stack, anchors={0: {1: 40, 2: 50}})
    volume = np.zeros_like(stack)
    volume[0] = by_image
    t3 = link(stack, anchors=volume)
    assert np.array_equal(t1.ids, t2.ids) and np.array_equal(t1.ids, t3.ids)
    assert set(np.unique(t1.ids[:, 2:7, 2:7])) == {40}
    assert set(np.unique(t1.ids[:, 9:14, 9:14])) == {50}
    with pytest.raises(ValueError, match="segment id 3"):
        link(stack, anchors={0: {3: 1}})


def _shifted_rois(rng):
    truth = nc.synth.phantom((12, 96, 128), n_axons=10, seed=4, jump_probability=0.0).axons
    boxes = [(0, 0, 0, 12, 96, 72), (0, 0, 50, 12, 96, 128), (0, 40, 30, 12, 96, 100)]
    rois, offsets = [], []
    for k, (z0, y0, x0, z1, y1, x1) in enumerate(boxes):
        crop = truth[z0:z1, y0:y1, x0:x1]
        ids = np.unique(crop[crop > 0])
        perm = np.zeros(int(truth.max()) + 1, np.uint32)
        perm[ids] = rng.permutation(len(ids)) + 1 + 100 * k  # each window has its own ids
        rois.append(perm[crop])
        offsets.append((z0, y0, x0))
    return truth, rois, offsets


def test_merge_rois_recovers_one_id_space(rng):
    truth, rois, offsets = _shifted_rois(rng)
    merged = merge_rois(rois, offsets)
    assert merged.ids.shape == truth.shape
    assert _same_partition(merged.ids.ravel(), truth.ravel())
    assert (merged.matches["iou"] > 0.5).all()
    for k, (roi, off) in enumerate(zip(rois, offsets)):
        box = tuple(slice(o, o + s) for o, s in zip(off, roi.shape))
        assert np.array_equal(apply_id_map(roi, merged.roi_ids[k], merged.global_ids[k]),
                              merged.ids[box])


def test_merge_rois_without_overlap_keeps_ids_apart():
    a = np.zeros((2, 4, 4), np.uint32)
    a[:, 1:3, 1:3] = 5
    merged = merge_rois([a, a], [(0, 0, 0), (0, 0, 4)], paste=False)
    assert merged.ids is None
    assert [g.tolist() for g in merged.global_ids] == [[1], [2]]
    with pytest.raises(ValueError, match="offsets"):
        merge_rois([a, a], [(0, 0, 0)])
    with pytest.raises(ValueError, match="rois"):
        merge_rois([a[0]], [(0, 0, 0)])


@functools.lru_cache(maxsize=1)
def _small_stack():
    p = nc.synth.phantom((10, 96, 96), n_axons=8, seed=21)
    return np.stack([nc.connected_components(s > 0, 4)[0] for s in p.axons])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), dtype=st.sampled_from([np.uint16, np.int32, np.uint64]),
       offset=st.sampled_from([0, 1000, 2**31]))
def test_link_does_not_depend_on_the_section_ids(seed, dtype, offset):
    """Renumbering the segments of every section (any dtype, sparse ids) links the same."""
    stack = _small_stack()
    if np.iinfo(dtype).max < offset + 200:
        offset = 0
    rng = np.random.default_rng(seed)
    renumbered = np.zeros(stack.shape, dtype)
    for z, section in enumerate(stack):
        n = int(section.max())
        new = np.r_[0, rng.choice(200, n, replace=False) + 1 + offset].astype(dtype)
        renumbered[z] = new[section]
    ref, other = link(stack), link(renumbered)
    assert _same_partition(ref.ids.ravel(), other.ids.ravel())
    assert np.array_equal(np.sort(ref.links["cost"]), np.sort(other.links["cost"]))


def test_candidates_compare_the_part_both_sections_show():
    """A jump pushes half a segment out of the field: the half that stayed matches fully."""
    a = np.zeros((64, 64), np.uint32)
    a[20:40, 44:60] = 7          # wholly inside section a
    b = np.zeros((64, 64), np.uint32)
    b[20:40, 56:64] = 3          # the tissue moved 12 px right: 8 of its 16 columns remain
    seg_a, seg_b = Segments.of(a), Segments.of(b)
    cand = candidates(a, b, seg_a, seg_b, (0.0, 12.0), radius=20.0, weights=CostWeights())
    assert len(cand.rows) == 1 and cand.intersection[0] == 160
    # IoU and area ratio are 1 within the common field; only the centroids differ (4 px)
    assert cand.cost[0] == pytest.approx(CostWeights().distance * 4.0 / 20.0)


def _out_and_back(Z=12, dx=-30, away=range(4, 9)):
    """Discs on a 64 x 64 field; sections ``away`` are shifted by ``dx``, which pushes the
    disc at x = 8 out of the field. Each section is labelled on its own."""
    yy, xx = np.mgrid[0:64, 0:64]
    centres = [(32, 8, 5), (14, 40, 3), (46, 34, 7), (28, 54, 4), (54, 56, 6)]
    stack = np.zeros((Z, 64, 64), np.uint32)
    for z in range(Z):
        shift = dx if z in away else 0
        for k, (cy, cx, r) in enumerate(centres):
            stack[z][(yy - cy) ** 2 + (xx - cx - shift) ** 2 <= r * r] = (k + z) % 5 + 1
    return stack


def test_border_links_bring_back_an_axon_that_left_the_field():
    stack = _out_and_back()
    assert not stack[4:9, 26:39, :15].any()  # the first disc is out of the field for 5 sections
    trace = link(stack, max_gap=2)
    border = trace.links[trace.links["kind"] == "border"]
    assert [(r["z_a"], r["z_b"]) for r in border] == [(3, 9)]
    assert trace.ids[3, 32, 8] == trace.ids[9, 32, 8] == trace.ids[0, 32, 8]
    assert len(np.unique(trace.ids[trace.ids > 0])) == 5
    assert np.abs(trace.shifts[3] - (0, -30)).max() <= 1
    queued = trace.queue[trace.queue["kind"] == "border"]
    assert len(queued) == 1 and queued["uncertainty"][0] >= 0.5
    for off in (None, 5):  # disabled, or shorter than the absence
        apart = link(stack, max_gap=2, max_border_gap=off)
        assert "border" not in apart.links["kind"]
        assert apart.ids[3, 32, 8] != apart.ids[9, 32, 8]


def test_chains_ending_inside_the_field_get_no_border_link():
    stack = _out_and_back(away=())  # no shift: the first disc stays in the field ...
    stack[4:9, 26:39, 2:15] = 0  # ... but vanishes for 5 sections
    trace = link(stack, max_gap=2)
    assert "border" not in trace.links["kind"]
    assert trace.ids[3, 32, 8] != trace.ids[9, 32, 8]


def test_link_checks_max_border_gap():
    stack = _out_and_back()
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="max_border_gap"):
            link(stack, max_border_gap=bad)


def test_shift_kernels_match_numpy(rng):
    from nmjcore.trace import shift as sh

    for _ in range(20):
        h, w = rng.integers(2, 40, 2)
        a = (rng.random((h, w)) < 0.4).astype(np.uint8)
        b = (rng.random((h, w)) < 0.4).astype(np.uint8)
        dy, dx = int(rng.integers(-h + 1, h)), int(rng.integers(-w + 1, w))
        box_a, box_b = sh.overlapping_windows(a.shape, (dy, dx))
        u, v = a[box_a].ravel().astype(float), b[box_b].ravel().astype(float)
        want = np.corrcoef(u, v)[0, 1] if u.size >= 2 and u.std() > 0 and v.std() > 0 else -1.0
        assert sh._agreement(a, b, dy, dx) == pytest.approx(want, abs=1e-9)
        corr = rng.standard_normal((h, w))
        for limit in (0, 1, 3, max(h, w)):
            offy = np.minimum(np.arange(h), h - np.arange(h))
            offx = np.minimum(np.arange(w), w - np.arange(w))
            masked = np.where((offy[:, None] <= limit) & (offx[None, :] <= limit), corr, -np.inf)
            assert sh._peak(corr, limit) == np.unravel_index(np.argmax(masked), corr.shape)
        fa = np.fft.rfft2(rng.standard_normal((h, w))).astype(np.complex64)
        fb = np.fft.rfft2(rng.standard_normal((h, w))).astype(np.complex64)
        cross = fb * np.conj(fa)
        want = cross / np.abs(cross)
        sh._normalised_cross_power(fa, fb)
        assert np.allclose(fb, want, atol=1e-5)


def test_link_shifts_are_the_pairwise_estimates():
    from nmjcore.trace.shift import section_spectrum, shift_between

    stack = _out_and_back()
    trace = link(stack)
    for z in range(len(stack) - 1):
        pairwise = estimate_shift(stack[z], stack[z + 1])
        assert tuple(trace.shifts[z]) == pairwise
        assert shift_between(section_spectrum(stack[z]), section_spectrum(stack[z + 1])) \
            == pairwise
