import math

import pytest

torch = pytest.importorskip("torch")

from nmjcore.nn import balanced_weights, bce_loss, build_loss, dice_loss, focal_loss  # noqa: E402

# two pixels: logits 0 and ln 3 (p = 1/2 and 3/4); targets 1 and 0
LOGITS = torch.tensor([0.0, math.log(3.0)]).view(1, 1, 1, 2)
TARGET = torch.tensor([1.0, 0.0]).view(1, 1, 1, 2)


def test_bce_by_hand():
    expected = (-math.log(0.5) - math.log(0.25)) / 2
    assert float(bce_loss(LOGITS, TARGET)) == pytest.approx(expected, rel=1e-6)
    weight = torch.tensor([3.0, 1.0]).view(1, 1, 1, 2)
    expected_w = (3 * -math.log(0.5) + 1 * -math.log(0.25)) / 4
    assert float(bce_loss(LOGITS, TARGET, weight)) == pytest.approx(expected_w, rel=1e-6)


def test_dice_by_hand():
    # sum p t = 0.5, sum p = 1.25, sum t = 1, smooth 1 -> 1 - (1 + 1) / (2.25 + 1)
    assert float(dice_loss(LOGITS, TARGET)) == pytest.approx(1 - 2 / 3.25, rel=1e-6)
    assert float(dice_loss(LOGITS, TARGET, smooth=0.0)) == pytest.approx(1 - 1 / 2.25, rel=1e-6)
    perfect = torch.tensor([50.0, -50.0]).view(1, 1, 1, 2)
    assert float(dice_loss(perfect, TARGET, smooth=0.0)) == pytest.approx(0.0, abs=1e-6)


def test_focal_by_hand():
    # p_t = 1/2 and 1/4: (1/2)^2 * ln 2 and (3/4)^2 * ln 4
    expected = (0.25 * math.log(2) + 0.5625 * math.log(4)) / 2
    assert float(focal_loss(LOGITS, TARGET)) == pytest.approx(expected, rel=1e-6)
    assert float(focal_loss(LOGITS, TARGET, gamma=0.0)) == pytest.approx(
        float(bce_loss(LOGITS, TARGET)), rel=1e-6)


def test_sums():
    assert float(build_loss("bce+dice", balance=False)(LOGITS, TARGET)) == pytest.approx(
        float(bce_loss(LOGITS, TARGET) + dice_loss(LOGITS, TARGET)), rel=1e-6)
    assert float(build_loss("focal+dice", balance=False)(LOGITS, TARGET)) == pytest.approx(
        float(focal_loss(LOGITS, TARGET) + dice_loss(LOGITS, TARGET)), rel=1e-6)


def test_balanced_weights_by_hand():
    # 1 foreground pixel of 4: n / (2 n_fg) = 2, n / (2 n_bg) = 2/3; mean weight 1
    target = torch.tensor([[1.0, 0.0], [0.0, 0.0]]).view(1, 1, 2, 2)
    w = balanced_weights(target)
    torch.testing.assert_close(w, torch.tensor([[2.0, 2 / 3], [2 / 3, 2 / 3]]).view(1, 1, 2, 2))
    assert float(w.mean()) == pytest.approx(1.0)
    # per sample; one-class samples get 1; clipping
    both = torch.cat([target, torch.zeros_like(target)])
    torch.testing.assert_close(balanced_weights(both)[1], torch.ones(1, 2, 2))
    sparse = torch.zeros(1, 1, 10, 10)
    sparse[0, 0, 0, 0] = 1
    assert float(balanced_weights(sparse, max_weight=10).max()) == 10.0


def test_balanced_loss_uses_weights():
    target = torch.zeros(1, 1, 4, 4)
    target[0, 0, 0, 0] = 1
    logits = torch.zeros(1, 1, 4, 4)
    logits[0, 0, 0, 0] = -3.0  # the one foreground pixel is wrong
    plain = float(build_loss("bce", balance=False)(logits, target))
    balanced = float(build_loss("bce", balance=True)(logits, target))
    assert balanced > 2 * plain


def test_bad_arguments():
    with pytest.raises(ValueError, match="target"):
        bce_loss(LOGITS, TARGET[..., :1])
    with pytest.raises(ValueError, match="weight"):
        dice_loss(LOGITS, TARGET, torch.ones(1))
    with pytest.raises(ValueError, match="loss"):
        build_loss("hinge")
