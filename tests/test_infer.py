import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from nmjcore.infer import dihedral_transforms, load_model, predict  # noqa: E402
from nmjcore.infer._tiling import tile_starts, window_1d  # noqa: E402
from nmjcore.nn import DLinkNet, ResidualUNet3D, export_torchscript  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


class SmallConvNet(nn.Module):
    """Fully convolutional, stride 1, zero padding: receptive radius ``layers`` px."""

    def __init__(self, layers: int = 3, width: int = 4, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        mods: list[nn.Module] = []
        cin = 1
        for _ in range(layers - 1):
            mods += [nn.Conv2d(cin, width, 3, padding=1), nn.Tanh()]
            cin = width
        mods += [nn.Conv2d(cin, 1, 3, padding=1), nn.Sigmoid()]
        self.body = nn.Sequential(*mods)

    def forward(self, x):
        return self.body(x)


class SymmetricConvNet(nn.Module):
    """Equivariant to the 8 dihedral transforms by construction: each kernel is averaged over
    the group, the nonlinearity is pointwise and zero padding is symmetric."""

    def __init__(self, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w1 = nn.Parameter(torch.randn(4, 1, 5, 5, generator=g))
        self.w2 = nn.Parameter(torch.randn(1, 4, 3, 3, generator=g))

    @staticmethod
    def symmetrise(w):
        ws = [torch.rot90(v, k, (-2, -1)) for v in (w, w.transpose(-1, -2)) for k in range(4)]
        return torch.stack(ws).mean(0)

    def forward(self, x):
        y = torch.tanh(nn.functional.conv2d(x, self.symmetrise(self.w1), padding=2))
        return torch.sigmoid(nn.functional.conv2d(y, self.symmetrise(self.w2), padding=1))


def test_tile_starts_cover_with_overlap():
    for size, tile, overlap, multiple in [(1024, 512, 64, 32), (1000, 256, 32, 1),
                                          (300, 128, 16, 8), (129, 128, 8, 1)]:
        length, starts = tile_starts(size, tile, overlap, multiple)
        assert length <= tile and starts[0] == 0 and starts[-1] + length == size
        assert all(b - a <= length - overlap for a, b in zip(starts, starts[1:]))
    assert tile_starts(1024, 512, 64, 32) == (384, [0, 320, 640])
    assert tile_starts(100, 512, 64, 32) == (100, [0])


def test_window_halves_sum_to_one():
    w = window_1d(64, 32, "cosine", True, False)
    ramp = w[64 - 24:64 - 8]
    torch.testing.assert_close(torch.from_numpy(ramp + ramp[::-1]), torch.ones(16))
    assert (w[-8:] == 0).all() and (w[:40] == 1).all()
    g = window_1d(64, 32, "gaussian", False, False)
    assert (g[:8] == 0).all() and (g[-8:] == 0).all() and g[32] == 1


@pytest.mark.parametrize("blend", ["cosine", "gaussian"])
def test_tiled_equals_whole_image(blend, rng):
    model = SmallConvNet(layers=3)
    image = rng.integers(0, 256, (2, 150, 211), dtype=np.uint8)
    with torch.no_grad():
        whole = model(torch.from_numpy(image).float().div(255)[:, None])[:, 0].numpy()
    tiled = predict(image, model, tile=(64, 64), overlap=16, batch_size=3, blend=blend,
                    device="cpu")
    assert tiled.shape == image.shape and tiled.dtype == np.float32
    np.testing.assert_allclose(tiled, whole, atol=2e-6)


def test_no_seams_on_constant_input():
    model = SmallConvNet(layers=3)
    image = np.full((200, 200), 120, dtype=np.uint8)
    prob = predict(image, model, tile=(64, 64), overlap=16, device="cpu")
    inner = prob[4:-4, 4:-4]  # away from the image border, a constant
    assert float(inner.max() - inner.min()) < 1e-6
    # averaging tiles without windows lets each tile's padded border show: seams
    seams = predict(image, model, tile=(64, 64), overlap=16, blend="constant", device="cpu")
    assert float(seams[4:-4, 4:-4].max() - seams[4:-4, 4:-4].min()) > 1e-3


def test_tta_of_equivariant_model_equals_plain(rng):
    model = SymmetricConvNet()
    image = rng.integers(0, 256, (2, 40, 56), dtype=np.uint8)
    plain = predict(image, model, tile=(32, 32), overlap=16, device="cpu")
    tta = predict(image, model, tile=(32, 32), overlap=16, tta=True, device="cpu")
    np.testing.assert_allclose(tta, plain, atol=1e-6)
    tta_max = predict(image, model, tile=(32, 32), overlap=16, tta=True, tta_reduce="max")
    np.testing.assert_allclose(tta_max, plain, atol=1e-6)


def test_tta_changes_a_model_that_is_not_equivariant(rng):
    model = SmallConvNet(layers=2, seed=3)
    image = rng.integers(0, 256, (60, 60), dtype=np.uint8)
    plain = predict(image, model, tile=(64, 64), overlap=0)
    tta = predict(image, model, tile=(64, 64), overlap=0, tta=True)
    assert float(np.abs(tta - plain).max()) > 1e-3
    assert len(dihedral_transforms(2)) == 8 and len(dihedral_transforms(3)) == 16
    assert len(set(dihedral_transforms(3))) == 16


def test_torchscript_export_reloads_same_output(tmp_path, rng):
    model = DLinkNet("resnet18", widths=(4, 8, 8, 16), head_width=4).eval()
    path = tmp_path / "model.pt"
    meta = export_torchscript(model, path, patch_size=(64, 64), resolution_nm=(50, 4, 4), mip=1,
                              output="axon mask", val_dice=0.5)
    loaded, meta2 = load_model(path)
    assert meta2 == meta
    assert meta2["returns"] == "logits" and meta2["mip"] == 1 and meta2["stride"] == [1, 32]
    assert meta2["resolution_nm"] == [50, 4, 4] and meta2["in_channels"] == 1
    x = torch.rand(2, 1, 45, 70)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))
    image = rng.integers(0, 256, (2, 100, 90), dtype=np.uint8)
    np.testing.assert_allclose(predict(image, path, tile=(64, 64), overlap=16),
                               predict(image, model, tile=(64, 64), overlap=16), atol=1e-5)


def test_plain_torchscript_without_metadata_is_refused(tmp_path):
    path = tmp_path / "bare.pt"
    torch.jit.save(torch.jit.script(SmallConvNet()), str(path))
    with pytest.raises(ValueError, match="metadata"):
        load_model(path)


def test_3d_model_blocks(rng):
    model = ResidualUNet3D(widths=(4, 8), z_pool=(False,)).eval()
    volume = rng.integers(0, 256, (7, 40, 52), dtype=np.uint8)
    prob = predict(volume, model, tile=(4, 32, 32), overlap=8)
    assert prob.shape == volume.shape and 0 <= prob.min() and prob.max() <= 1
    with torch.no_grad():
        whole = torch.sigmoid(model(torch.from_numpy(volume).float().div(255)[None, None]))[0, 0]
    # not equal (tiles see less context) but the same map
    assert np.corrcoef(prob.ravel(), whole.numpy().ravel())[0, 1] > 0.9


def test_out_volume_uint8_and_2d(rng, tmp_path):
    from nmjcore.io import create_volume, open_volume

    model = SmallConvNet()
    image = rng.integers(0, 256, (3, 50, 60), dtype=np.uint8)
    ref = predict(image, model, tile=(32, 32), overlap=8)
    out = np.zeros(image.shape, np.uint8)
    assert predict(image, model, tile=(32, 32), overlap=8, out=out) is out
    np.testing.assert_array_equal(out, np.rint(ref * 255).astype(np.uint8))
    np.testing.assert_allclose(predict(image[1], model, tile=(32, 32), overlap=8), ref[1],
                               atol=1e-6)
    path = tmp_path / "prob.h5"
    with create_volume(path, image.shape, np.float32) as vol:
        predict(open_volume(image), model, tile=(32, 32), overlap=8, out=vol)
    with open_volume(path) as vol:
        np.testing.assert_allclose(vol[...], ref, atol=1e-6)


def test_bad_arguments(rng):
    model = SmallConvNet()
    image = rng.integers(0, 256, (20, 20), dtype=np.uint8)
    with pytest.raises(ValueError, match="overlap"):
        predict(image, model, tile=(16, 16), overlap=16)
    with pytest.raises(ValueError, match="tile"):
        predict(image, model, tile=(16,))
    with pytest.raises(ValueError, match="blend"):
        predict(image, model, blend="hann")
    with pytest.raises(ValueError, match="out"):
        predict(image, model, out=np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match="volume"):
        predict(np.zeros((0, 4), np.uint8), model)
    with pytest.raises(TypeError, match="model"):
        predict(image, 42)
    with pytest.raises(FileNotFoundError, match="model"):
        predict(image, "/nonexistent/model.pt")
    with pytest.raises(ValueError, match="device"):
        predict(image, model, device="toaster")
