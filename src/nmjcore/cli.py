"""The ``nmjcore`` command line (also ``python -m nmjcore``)."""

from __future__ import annotations

import argparse
import sys


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nmjcore",
        description="Trace axons through serial-section EM of neuromuscular junctions.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    from .pipeline.defaults import DEMO_AXONS, DEMO_SHAPE

    demo = commands.add_parser(
        "demo", help="run the whole job on a built-in synthetic stack (no data needed)",
        description="Generate a synthetic EM stack of a nerve over muscle fibres with exact "
                    "ground truth, run the whole job on it (bad sections and deflicker, the "
                    "built-in network, segmentation, tracing, metrics against the truth, "
                    "contacts and calibre) and write a results folder (axons.h5, links.csv, "
                    "proofreading_queue.csv, metrics.json, summary.json, overview.png and "
                    "analysis/ with tables, figures and sections.gif).")
    demo.add_argument("-o", "--output", default="nmjcore-demo",
                      help="results folder (default: %(default)s)")
    demo.add_argument("--shape", nargs=3, type=_positive_int, default=DEMO_SHAPE,
                      metavar=("Z", "Y", "X"),
                      help="stack size (default: %s)" % " ".join(map(str, DEMO_SHAPE)))
    demo.add_argument("--axons", type=_positive_int, default=DEMO_AXONS,
                      help="number of axons (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.add_argument("--threads", type=_positive_int, default=None,
                      help="worker threads (default: all cores)")
    demo.add_argument("--no-network", dest="network", action="store_false",
                      help="feed the phantom's true axon mask as the probability instead of "
                           "running the network (to time the other stages)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    _add_train_parser(commands)
    _add_export_parser(commands)
    return parser


def _add_train_parser(commands) -> None:
    # Options left out keep the defaults of nmjcore.nn.TrainConfig (torch is not imported
    # until the command runs).
    train = commands.add_parser(
        "train", help="train a segmentation network on HDF5/zarr training sets",
        argument_default=argparse.SUPPRESS,
        description="Train on random patches of training sets (raw + mask/membrane, as made by "
                    "the ground-truth preparation). Checkpoints go to OUTPUT (last.pt, best.pt); "
                    "running again on the same OUTPUT resumes.")
    train.add_argument("train_sets", nargs="+", metavar="SET",
                       help="training set, optionally with a section range: file.h5@0:25")
    train.add_argument("-o", "--output", required=True, help="checkpoint and log folder")
    train.add_argument("--val", dest="val_sets", nargs="+", metavar="SET",
                       help="validation sets")
    train.add_argument("--target", choices=("mask", "membrane"),
                       help="mask (axon / cell interior, default) or membrane")
    train.add_argument("--architecture",
                       help="dlinknet34, dlinknet18 (default), linknet34, linknet18, unet3d")
    train.add_argument("--widths", nargs="+", type=_positive_int,
                       help="channels per encoder stage (default: the architecture's)")
    train.add_argument("--head-width", type=_positive_int)
    train.add_argument("--in-channels", type=int, choices=(1, 3))
    train.add_argument("--encoder-weights", help="local encoder state_dict (nothing downloaded)")
    train.add_argument("--patch-size", nargs="+", type=_positive_int,
                       help="Y X or Z Y X (default: 256 256)")
    train.add_argument("--batch-size", type=_positive_int, help="default: 8")
    train.add_argument("--lr", dest="learning_rate", type=float, help="default: 1e-3")
    train.add_argument("--iterations", type=_positive_int, help="total (default: 10000)")
    train.add_argument("--save-interval", type=_positive_int, help="default: 1000")
    train.add_argument("--val-interval", type=_positive_int, help="default: 1000")
    train.add_argument("--loss", help="bce, dice, focal, bce+dice (default), focal+dice")
    train.add_argument("--no-balance", dest="balance", action="store_false",
                       help="no foreground/background-balanced pixel weights")
    train.add_argument("--no-augment", dest="augment", action="store_false")
    train.add_argument("--foreground-fraction", type=float,
                       help="share of patches centred on foreground (default: 0.5)")
    train.add_argument("--workers", type=int, help="data-loading processes (default: 0)")
    train.add_argument("--gpus", type=int, help="GPUs to use (default: 0, CPU)")
    train.add_argument("--finetune", help="start from this checkpoint's weights")
    train.add_argument("--time-limit", type=float, help="stop and save after this many minutes")
    train.add_argument("--seed", type=int)
    train.add_argument("-q", "--quiet", action="store_true", default=False,
                       help="no progress bars")


def _add_export_parser(commands) -> None:
    export = commands.add_parser(
        "export", help="export a training checkpoint to TorchScript for nmjcore.infer",
        description="Script the network of CHECKPOINT and write it with its metadata (patch "
                    "size, input resolution and mip level, normalisation, output meaning).")
    export.add_argument("checkpoint", help="a checkpoint written by nmjcore train")
    export.add_argument("output", help="TorchScript file to write (.pt)")
    export.add_argument("--resolution", nargs=3, type=float, default=None,
                        metavar=("Z", "Y", "X"), help="input voxel size in nm")
    export.add_argument("--mip", type=int, default=0, help="mip level of the input")
    export.add_argument("--output-meaning", default=None,
                        help="what a probability of 1 means (default: from the target)")


def main(argv=None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from .pipeline import run_demo

            run_demo(args.output, shape=tuple(args.shape), n_axons=args.axons, seed=args.seed,
                     network=args.network, threads=args.threads, progress=not args.quiet)
        elif args.command == "train":
            _run_train(args)
        elif args.command == "export":
            _run_export(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"nmjcore {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"nmjcore {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


def _run_train(args) -> None:
    from .nn import TrainConfig, train

    options = vars(args).copy()
    for key in ("command", "quiet"):
        options.pop(key)
    if "patch_size" in options:
        options["patch_size"] = tuple(options["patch_size"])
    if "time_limit" in options:
        options["time_limit"] = 60 * options["time_limit"]
    summary = train(TrainConfig(**options), progress=not args.quiet)
    print(f"iteration {summary['iteration']}, best validation Dice "
          f"{summary['best_val_dice']:.4f}, checkpoints in {args.output}")


def _run_export(args) -> None:
    from .nn import export_torchscript, model_from_checkpoint

    model, ckpt = model_from_checkpoint(args.checkpoint)
    config = ckpt["config"]
    meaning = args.output_meaning or {"mask": "axon / cell interior",
                                      "membrane": "membrane"}[config["target"]]
    export_torchscript(model, args.output, patch_size=config["patch_size"],
                       resolution_nm=args.resolution, mip=args.mip, output=meaning,
                       trained_iterations=ckpt["iteration"], val_dice=ckpt.get("val_dice"),
                       train_sets=config["train_sets"], val_sets=config["val_sets"])
    print(f"wrote {args.output}")


if __name__ == "__main__":
    sys.exit(main())
