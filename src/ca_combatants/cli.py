"""Command line: `ca-brief validate`, `ca-brief render`, `ca-brief batch`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import dataset
from .paths import DEFAULT_DATA_DIR

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _validate(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    try:
        result = dataset.check(data_dir)
    except dataset.DataDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not result.ok:
        for problem in result.problems:
            print(f"{data_dir}/{problem}")
        print(f"\n{data_dir}: INVALID, {len(result.problems)} problem(s)", file=sys.stderr)
        return EXIT_FAILED
    counts = result.counts()
    width = max(len(n) for n in counts)
    print(f"{data_dir}: valid (data version {result.version})")
    for name, n in counts.items():
        print(f"  {name:<{width}}  {n:>5}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ca-brief", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check the data package and print counts per table")
    p.add_argument(
        "data_dir",
        nargs="?",
        default=str(DEFAULT_DATA_DIR),
        help="data folder (default: the repository's data/)",
    )
    p.set_defaults(func=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
