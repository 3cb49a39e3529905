"""The demo's default phantom (sized to finish in well under a minute on 2 CPU cores)."""

DEMO_SHAPE = (48, 512, 512)
DEMO_AXONS = 40
