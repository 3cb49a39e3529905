"""Synthetic serial-section EM with exact ground truth, for tests, the demo and benchmarks."""

from .phantom import Phantom, phantom

__all__ = ["Phantom", "phantom"]
