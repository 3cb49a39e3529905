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

    demo = commands.add_parser(
        "demo", help="run every stage on a built-in synthetic stack (no data needed)",
        description="Generate a synthetic EM stack with exact ground truth, run the kernels on "
                    "it, check what they measure against the truth, and write a results folder "
                    "(phantom.h5, summary.json, overview.png).")
    demo.add_argument("-o", "--output", default="nmjcore-demo",
                      help="results folder (default: %(default)s)")
    demo.add_argument("--shape", nargs=3, type=_positive_int, default=(48, 512, 512),
                      metavar=("Z", "Y", "X"), help="stack size (default: 48 512 512)")
    demo.add_argument("--axons", type=_positive_int, default=40,
                      help="number of axons (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.add_argument("--threads", type=_positive_int, default=None,
                      help="worker threads (default: all cores)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv=None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from .pipeline import run_demo

            run_demo(args.output, shape=tuple(args.shape), n_axons=args.axons, seed=args.seed,
                     threads=args.threads, progress=not args.quiet)
    except (ValueError, TypeError, OSError) as exc:
        print(f"nmjcore {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"nmjcore {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
