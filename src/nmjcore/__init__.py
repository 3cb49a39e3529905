"""nmjcore: automatic tracing of axons through serial-section EM of neuromuscular junctions.

The compiled kernels of :mod:`nmjcore.ops` are re-exported here; the stages live in their
own sub-packages (``nmjcore.synth``, ...).
"""

from . import io, ops, synth
from .ops import connected_components, distance_transform

__version__ = "0.1.0"

__all__ = ["__version__", "connected_components", "distance_transform", "io", "ops", "synth"]


def __getattr__(name):
    # nn and infer load torch, so they are imported on first use (nmjcore.infer.predict)
    if name in ("nn", "infer"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nmjcore' has no attribute {name!r}")
