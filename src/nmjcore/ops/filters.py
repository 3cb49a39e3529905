"""Edge-preserving smoothing: the bilateral filter."""
def bilateral_filter(*a, **k): raise NotImplementedError
