import pytest

torch = pytest.importorskip("torch")

from nmjcore.nn import DLinkNet, LinkNet, ResidualUNet3D, build_model  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


TINY = dict(widths=(4, 8, 8, 16), head_width=4)


@pytest.mark.parametrize("architecture, size", [
    ("dlinknet18", (1, 1)), ("dlinknet18", (31, 45)), ("dlinknet18", (97, 33)),
    ("dlinknet34", (33, 64)), ("linknet18", (45, 31))])
def test_2d_output_shape_any_size(architecture, size):
    model = build_model(architecture, **TINY).eval()
    x = torch.rand(2, 1, *size)
    with torch.no_grad():
        y = model(x)
    assert y.shape == (2, 1, *size)
    assert torch.isfinite(y).all()


def test_three_channel_input_and_outputs():
    model = DLinkNet("resnet18", in_channels=3, out_channels=2, **TINY).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 45, 50)).shape == (1, 2, 45, 50)
    with pytest.raises(RuntimeError):
        model(torch.rand(1, 1, 45, 50))


@pytest.mark.parametrize("size", [(4, 64, 64), (3, 37, 51), (5, 16, 20), (1, 9, 9)])
def test_3d_output_shape_any_size(size):
    model = ResidualUNet3D(widths=(4, 8, 8), z_pool=(False, True)).eval()
    with torch.no_grad():
        y = model(torch.rand(1, 1, *size))
    assert y.shape == (1, 1, *size)


def test_centre_block_is_what_distinguishes_dlinknet():
    assert any("centre.convs" in k for k in DLinkNet("resnet18", **TINY).state_dict())
    assert not any("centre.convs" in k for k in LinkNet("resnet18", **TINY).state_dict())


def test_resnet_depths_and_default_widths():
    r34 = DLinkNet("resnet34")
    assert len(r34.encoder.stage3) == 6 and r34.encoder.stage4[0].conv1.out_channels == 512
    assert len(DLinkNet("resnet18", **TINY).encoder.stage3) == 2


@pytest.mark.parametrize("model", [DLinkNet("resnet18", **TINY), LinkNet("resnet18", **TINY),
                                   ResidualUNet3D(widths=(4, 8), z_pool=(True,))])
def test_models_script_and_match(model):
    model.eval()
    three_d = isinstance(model, ResidualUNet3D)
    x = torch.rand(1, 1, 2, 20, 24) if three_d else torch.rand(1, 1, 40, 44)
    scripted = torch.jit.script(model)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x))


def test_local_encoder_weights(tmp_path):
    source = DLinkNet("resnet18", **TINY)
    path = tmp_path / "encoder.pt"
    torch.save(source.encoder.state_dict(), path)
    loaded = DLinkNet("resnet18", encoder_weights=path, **TINY)
    for (k, a), b in zip(source.encoder.state_dict().items(), loaded.encoder.state_dict().values()):
        assert torch.equal(a, b), k
    torch.save({"nonsense": torch.zeros(1)}, path)
    with pytest.raises(RuntimeError):
        DLinkNet("resnet18", encoder_weights=path, **TINY)


def test_bad_arguments():
    with pytest.raises(ValueError, match="encoder"):
        DLinkNet("resnet50")
    with pytest.raises(ValueError, match="widths"):
        DLinkNet("resnet18", widths=(4, 8))
    with pytest.raises(ValueError, match="in_channels"):
        DLinkNet("resnet18", in_channels=2)
    with pytest.raises(ValueError, match="architecture"):
        build_model("unet2d")
    with pytest.raises(ValueError, match="z_pool"):
        ResidualUNet3D(widths=(4, 8, 16), z_pool=(True,))
