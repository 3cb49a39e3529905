"""The whole job, stage after stage (sits on top: imports everything, nothing imports it)."""

from .demo import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
