"""Connected components (filled in by the CCL kernel work)."""


def connected_components(image, connectivity=None, *, return_counts=False, threads=None):
    raise NotImplementedError
