"""3D views of traced axons: marching-cubes meshes, PLY/OBJ export, a rendered PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage

from ..io import atomic_path, label_color
from ._figure import check_size, new_figure, save, style
from .labels import present_ids


def _factors(shape, sampling, max_voxels):
    """Integer down-sampling per axis towards isotropic voxels with at most ``max_voxels``."""
    volume_nm3 = float(np.prod(np.asarray(shape) * np.asarray(sampling)))
    target = max(min(sampling), (volume_nm3 / max_voxels) ** (1.0 / 3.0))
    return tuple(max(1, int(round(target / s))) for s in sampling)


def label_meshes(labels, sampling=(1.0, 1.0, 1.0), *, ids=None, max_voxels=4_000_000):
    """A triangle mesh of the surface of each label, by marching cubes (scikit-image).

    Parameters
    ----------
    labels : (Z, Y, X) ndarray of integers
    sampling : sequence of 3 float
        Voxel size in nm; vertices come in µm, (x, y, z) order as mesh viewers expect.
    ids : sequence of int, optional
        Labels to mesh; default every non-zero label.
    max_voxels : int
        The volume is down-sampled (by striding, towards isotropic voxels) to at most this
        many voxels first, to bound time and triangle count.

    Returns
    -------
    dict {id: (vertices (V, 3) float32 µm, faces (F, 3) int32)}
    """
    from skimage.measure import marching_cubes

    labels = np.asarray(labels)
    if labels.ndim != 3 or labels.dtype.kind not in "biu":
        raise ValueError(f"labels: expected a 3D integer volume, got {labels.dtype} "
                         f"{labels.shape}")
    sampling = np.asarray(sampling, dtype=np.float64)
    f = _factors(labels.shape, sampling, max_voxels)
    small = labels[::f[0], ::f[1], ::f[2]]
    spacing = sampling * np.array(f) / 1e3
    present = present_ids(small)
    if ids is not None:
        present = np.intersect1d(present, np.asarray(ids))
    boxes = ndimage.find_objects(small) if present.size and present.max() < 10**6 else None
    meshes = {}
    for i in present.tolist():
        box = boxes[i - 1] if boxes is not None else tuple(
            slice(int(w.min()), int(w.max()) + 1) for w in np.nonzero(small == i))
        lo = [max(0, s.start - 1) for s in box]
        crop = small[tuple(slice(a, s.stop + 1) for a, s in zip(lo, box))] == i
        padded = np.pad(crop, 1).astype(np.float32)  # closed surfaces at the volume's edge
        if min(padded.shape) < 2:
            continue
        verts, faces, _, _ = marching_cubes(padded, level=0.5, spacing=tuple(spacing))
        verts += (np.array(lo) - 1) * spacing
        meshes[i] = (verts[:, ::-1].astype(np.float32), faces.astype(np.int32))
    return meshes


def write_mesh(path, meshes) -> Path:
    """Write meshes from :func:`label_meshes` as one PLY (binary, per-vertex colours of the
    labels' stable colours) or OBJ (one object ``label_<id>`` per label) file, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".ply", ".obj"):
        raise ValueError(f"path: expected a .ply or .obj file name, got {path.name!r}")
    verts, faces, colours = [], [], []
    base = 0
    for i, (v, f) in meshes.items():
        verts.append(v)
        faces.append(f + base)
        colours.append(np.tile(np.array(label_color(i), np.uint8), (len(v), 1)))
        base += len(v)
    v = np.concatenate(verts) if verts else np.zeros((0, 3), np.float32)
    fc = np.concatenate(faces) if faces else np.zeros((0, 3), np.int32)
    c = np.concatenate(colours) if colours else np.zeros((0, 3), np.uint8)
    with atomic_path(path) as tmp:
        if suffix == ".ply":
            header = ("ply\nformat binary_little_endian 1.0\n"
                      "comment nmjcore label meshes, coordinates in micrometres\n"
                      f"element vertex {len(v)}\nproperty float x\nproperty float y\n"
                      "property float z\nproperty uchar red\nproperty uchar green\n"
                      f"property uchar blue\nelement face {len(fc)}\n"
                      "property list uchar int vertex_indices\nend_header\n")
            vertex = np.zeros(len(v), dtype=[("p", "<f4", 3), ("c", "u1", 3)])
            vertex["p"], vertex["c"] = v, c
            face = np.zeros(len(fc), dtype=[("n", "u1"), ("i", "<i4", 3)])
            face["n"], face["i"] = 3, fc
            with open(tmp, "wb") as out:
                out.write(header.encode("ascii"))
                out.write(vertex.tobytes())
                out.write(face.tobytes())
        else:
            with open(tmp, "w") as out:
                out.write("# nmjcore label meshes, coordinates in µm\n")
                base = 1
                for i, (vv, ff) in meshes.items():
                    out.write(f"o label_{i}\n")
                    # One formatting call per block: np.savetxt formats row by row, 10x slower.
                    out.write(("v %.4f %.4f %.4f\n" * len(vv)) % tuple(vv.ravel().tolist()))
                    out.write(("f %d %d %d\n" * len(ff)) % tuple((ff + base).ravel().tolist()))
                    base += len(vv)
    return path


def render_3d(path, meshes, *, fibre_meshes=None, z_offset_um=0.0, title="Traced axons",
              elevation=14.0, azimuth=-58.0, figsize=(9.0, 8.0), dpi=150) -> Path:
    """A shaded 3D picture (matplotlib) of meshes from :func:`label_meshes` in the labels'
    stable colours, in true proportions, section 0 on top; ``fibre_meshes`` (muscle) are drawn
    translucent. ``z_offset_um`` is added to the depth labels (for a cropped volume)."""
    from matplotlib.ticker import MaxNLocator
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    figsize, dpi = check_size(figsize, dpi)
    light = np.array([0.35, -0.45, -0.8])
    light /= np.linalg.norm(light)
    fig = new_figure(figsize, dpi)
    with style():
        ax = fig.add_subplot(1, 1, 1, projection="3d", computed_zorder=False)
        lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
        layers = [(fibre_meshes or {}, 0.22, 7), (meshes, 1.0, 0)]
        for group, alpha, salt in layers:
            for i, (v, f) in group.items():
                tri = v[f]
                normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
                normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
                shade = 0.3 + 0.7 * np.clip(normal @ light, 0.0, 1.0)
                colour = np.array(label_color(i, salt)) / 255.0
                rgba = np.concatenate([shade[:, None] * colour,
                                       np.full((len(tri), 1), alpha)], axis=1)
                ax.add_collection3d(Poly3DCollection(tri, facecolors=rgba, edgecolors="none"))
                lo, hi = np.minimum(lo, v.min(axis=0)), np.maximum(hi, v.max(axis=0))
        if np.all(np.isfinite(lo)):
            ax.set_xlim(lo[0], hi[0])
            ax.set_ylim(lo[1], hi[1])
            ax.set_zlim(hi[2], lo[2])  # section 0 on top: the nerve comes down onto the muscle
            ax.set_box_aspect(np.maximum(hi - lo, 1e-6))
        ax.view_init(elev=elevation, azim=azimuth)
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_major_locator(MaxNLocator(4))
        ax.zaxis.set_major_formatter(lambda v, _: f"{round(v + z_offset_um, 2):g}")  # 0.5 µm ticks too
        ax.set_xlabel("x (µm)", labelpad=6)
        ax.set_ylabel("y (µm)", labelpad=6)
        ax.set_zlabel("depth (µm)", labelpad=6)
        if title:
            ax.set_title(title)
        fig.subplots_adjust(left=0.0, right=1.0, bottom=0.06, top=0.95)
    return save(fig, path)
