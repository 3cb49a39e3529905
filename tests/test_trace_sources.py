"""How link reads its sections: every kind of input, each section of a lazy one read a few
times at most."""

from __future__ import annotations

import numpy as np

from nmjcore.trace import link


class CountingVolume:
    """A lazily read stack that counts the sections asked of it."""

    def __init__(self, array):
        self.array = array
        self.shape = array.shape
        self.reads = np.zeros(len(array), int)

    def __getitem__(self, z):
        self.reads[z] += 1
        return self.array[z]


def _stack():
    stack = np.zeros((12, 24, 24), np.uint32)
    for z in range(12):
        stack[z, 2:9, 3 + z // 3:10 + z // 3] = 3 + z
        stack[z, 14:20, 12:18] = 100 + 2 * z
    stack[6] = 0  # a section to bridge
    return stack


def test_lazy_sections_are_read_a_few_times_each():
    stack = _stack()
    volume = CountingVolume(stack)
    lazy = link(volume, max_gap=2, threads=2)
    ref = link(stack, max_gap=2, threads=2)
    assert np.array_equal(lazy.links, ref.links)
    assert set(lazy.links["kind"]) == {"match", "gap"}
    assert volume.reads.max() <= 3
