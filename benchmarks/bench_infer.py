"""Tiled inference of 1024 x 1024 sections: nmjcore.infer.predict against its peers.

Peers, on the same model, sections, tile and overlap:
- ``whole``: one plain forward pass of the whole section (no tiles; the floor tiling adds to);
- ``naive``: a plain PyTorch loop over the same tile grid, one tile per forward pass, tiles
  averaged without windows;
- ``monai``: MONAI's ``sliding_window_inference`` (Gaussian blending), if MONAI is installed
  (``pip install nmjcore[bench]``).

Ratios are peer_ms / nmjcore_ms (above 1: nmjcore faster). On CPU the goal is nmjcore within
1.2x of ``whole``, i.e. a ratio of at least 0.83. Tiles bring their own floor: with tile 512 and
overlap 64 a 1024 px section takes 3 x 3 tiles of 384 px, 1.27x the section's pixels;
``--tile 576`` takes 2 x 2 tiles of 544 px, 1.13x. With a GPU the same cases run on CUDA with
bfloat16 (nmjcore and the peers alike) and sections/s are printed.

    python benchmarks/bench_infer.py [--quick] [--repeats N] [--model dlinknet18|builtin]
"""

from __future__ import annotations

import numpy as np
import torch

from _harness import Bench, parser

from nmjcore.infer import predict
from nmjcore.infer._tiling import tile_starts
from nmjcore.nn import build_model


def naive_loop(model, sections, tile, overlap, device, dtype):
    """Tiles one at a time over the same grid as nmjcore, plain averaging."""
    out = np.zeros(sections.shape, np.float32)
    with torch.inference_mode():
        for z, section in enumerate(sections):
            x = torch.from_numpy(section).to(device).to(dtype).div(255)[None, None]
            acc = torch.zeros(section.shape, device=device)
            count = torch.zeros(section.shape, device=device)
            ly, ys = tile_starts(section.shape[0], tile, overlap, 32)
            lx, xs = tile_starts(section.shape[1], tile, overlap, 32)
            for y in ys:
                for x0 in xs:
                    p = torch.sigmoid(model(x[..., y:y + ly, x0:x0 + lx]).float())[0, 0]
                    acc[y:y + ly, x0:x0 + lx] += p
                    count[y:y + ly, x0:x0 + lx] += 1
            out[z] = (acc / count).cpu().numpy()
    return out


def whole(model, sections, device, dtype):
    with torch.inference_mode():
        x = torch.from_numpy(sections).to(device).to(dtype).div(255)[:, None]
        return torch.sigmoid(model(x).float()).cpu().numpy()


def monai_peer(model, sections, tile, overlap, device, dtype, batch_size):
    from monai.inferers import sliding_window_inference

    with torch.inference_mode():
        x = torch.from_numpy(sections).to(device).to(dtype).div(255)[:, None]
        y = sliding_window_inference(x, (tile, tile), batch_size, model,
                                     overlap=overlap / tile, mode="gaussian")
        return torch.sigmoid(y.float()).cpu().numpy()


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--model", default="dlinknet18", choices=("dlinknet18", "builtin"))
    p.add_argument("--sections", type=int, default=2)
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--overlap", type=int, default=64)
    args = p.parse_args()
    size = 512 if args.quick else 1024
    rng = np.random.default_rng(0)
    sections = rng.integers(0, 256, (args.sections, size, size), dtype=np.uint8)
    if args.model == "builtin":
        from nmjcore.infer import load_model

        model = load_model("builtin")[0]
    else:
        model = build_model("dlinknet18").eval()
    # nmjcore reads the built-in file's metadata (logits); the peers get the module
    try:
        import monai  # noqa: F401
        has_monai = True
    except ImportError:
        has_monai = False
        print("MONAI not installed: no monai column (pip install nmjcore[bench])")

    bench = Bench(f"infer_{args.model}", repeats=args.repeats)
    n = args.sections
    tile, overlap, batch = args.tile, args.overlap, 4
    devices = [("cpu", t) for t in (1, 2)]
    if torch.cuda.is_available():
        devices.append(("cuda", 0))
    for device, threads in devices:
        dev = torch.device(device)
        dtype = torch.float32
        if device == "cuda":
            dtype = torch.bfloat16
            net = model.to(dev).to(dtype).to(memory_format=torch.channels_last)
        else:
            net = model.to(dev).float()
            torch.set_num_threads(threads)
        source = "builtin" if args.model == "builtin" else net
        impls = {
            "nmjcore": lambda: predict(sections, source, tile=(tile, tile), overlap=overlap,
                                       device=dev, batch_size=batch),
            "whole": lambda: whole(net, sections, dev, dtype),
            "naive": lambda: naive_loop(net, sections, tile, overlap, dev, dtype),
        }
        if has_monai:
            impls["monai"] = lambda: monai_peer(net, sections, tile, overlap, dev, dtype, batch)
        label = f"{args.model} {n}x{size}x{size} tile {tile} ov {overlap} {device}"
        row = bench.compare(label, impls, threads=threads if device == "cpu" else 0)
        rates = {k: n / (ms / 1e3) for k, ms in row["ms"].items()}
        row["sections_per_s"] = rates
        print("    sections/s: " + "  ".join(f"{k} {v:.2f}" for k, v in rates.items()))
    bench.write()


if __name__ == "__main__":
    main()
