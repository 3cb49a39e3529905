import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nmjcore.nn.augment import (Augmenter, dihedral, elastic, gaussian_blur,  # noqa: E402
                                shift_sections)

pytestmark = pytest.mark.usefixtures("torch_one_thread")


OFF = dict(flip=False, rot90=False, transpose=False, intensity_probability=0.0,
           elastic_probability=0.0, blur_probability=0.0, missing_probability=0.0,
           misaligned_probability=0.0)


def coordinate_grid(shape):
    """(1, n, *shape) float grid: channel i holds coordinate i of each pixel."""
    axes = torch.meshgrid(*[torch.arange(n, dtype=torch.float32) for n in shape], indexing="ij")
    return torch.stack(axes)[None]


def test_dihedral_moves_image_and_label_alike():
    grid = coordinate_grid((6, 6))
    aug = Augmenter(**{**OFF, "flip": True, "rot90": True, "transpose": True})
    gen = torch.Generator().manual_seed(3)
    seen = set()
    for _ in range(40):
        image, label = aug(grid.clone(), grid.clone(), gen)
        assert torch.equal(image, label)
        # still a permutation of the same pixels
        assert sorted(map(tuple, image[0].reshape(2, -1).T.tolist())) == \
            sorted(map(tuple, grid[0].reshape(2, -1).T.tolist()))
        seen.add(tuple(image[0, :, 0, 0].tolist()))
    assert len(seen) == 4  # each corner came to the origin at some point


def test_dihedral_3d_flips_z():
    grid = coordinate_grid((3, 4, 4))
    out = dihedral(grid, (True, False, False), 0, False)
    assert torch.equal(out[0, 0, 0], torch.full((4, 4), 2.0))


def test_elastic_keeps_alignment():
    grid = coordinate_grid((48, 40))
    aug = Augmenter(**{**OFF, "elastic_probability": 1.0, "elastic_alpha": 3.0,
                       "elastic_spacing": 12})
    image, label = aug(grid.clone(), grid.clone(), torch.Generator().manual_seed(1))
    # the label (nearest) holds the coordinates of the source pixel nearest to where the image
    # (bilinear, exact on a linear ramp) sampled: never more than half a pixel apart per axis
    assert float((image - label).abs().max()) <= 0.5 + 1e-4
    assert float((image - grid).abs().max()) > 1.0  # and it did deform
    assert torch.equal(label, label.round())


def test_elastic_same_for_every_section():
    grid = coordinate_grid((3, 20, 20))[:, 1:]  # y, x per section
    field = torch.randn(20, 20, 2) * 2
    image, label = elastic(grid[0], grid[0].clone(), field)
    assert torch.allclose(image[:, 0], image[:, 2])


def test_misaligned_section_moves_label_too():
    grid = coordinate_grid((4, 16, 16))
    aug = Augmenter(**{**OFF, "misaligned_probability": 1.0, "misaligned_shift": 3})
    moved = 0
    for seed in range(10):
        image, label = aug(grid.clone(), grid.clone(), torch.Generator().manual_seed(seed))
        assert torch.equal(image, label)
        moved += int(not torch.equal(image, grid))
    assert moved > 5


def test_shift_sections_by_hand():
    t = torch.arange(16, dtype=torch.float32).view(1, 1, 4, 4).repeat(1, 2, 1, 1)
    out = shift_sections(t, 1, 2, 1, 0)
    assert torch.equal(out[0, 0], t[0, 0])
    assert torch.equal(out[0, 1, 1:], t[0, 1, :-1]) and torch.equal(out[0, 1, 0], t[0, 1, 0])


def test_image_only_defects_leave_label_alone():
    rng = np.random.default_rng(0)
    image = torch.from_numpy(rng.random((2, 1, 4, 16, 16), dtype=np.float32))
    label = (image > 0.5).float()
    aug = Augmenter(**{**OFF, "intensity_probability": 1.0, "blur_probability": 1.0,
                       "missing_probability": 1.0})
    out_image, out_label = aug(image.clone(), label.clone(), torch.Generator().manual_seed(0))
    assert torch.equal(out_label, label)
    assert not torch.equal(out_image, image)
    assert 0 <= float(out_image.min()) and float(out_image.max()) <= 1
    flat = [(out_image[b, 0, z].std() < 1e-6).item() for b in range(2) for z in range(4)]
    assert sum(flat) >= 2  # one missing (flat) section per sample


def test_gaussian_blur_keeps_constant_and_mean():
    const = torch.full((1, 1, 9, 9), 0.3)
    torch.testing.assert_close(gaussian_blur(const, 1.5), const)
    point = torch.zeros(1, 1, 21, 21)
    point[0, 0, 10, 10] = 1
    assert float(gaussian_blur(point, 1.0).sum()) == pytest.approx(1.0, rel=1e-5)


def test_bad_shapes():
    with pytest.raises(ValueError, match="image, label"):
        Augmenter()(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 9))
