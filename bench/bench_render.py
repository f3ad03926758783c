"""Rendering speed, printed as one table (figures, not tests).

1. floor: papermill executing a one-cell notebook that imports pandas, seaborn and matplotlib,
   in the project's kernel: what any notebook-based report costs before it does anything
2. `ca-brief render` of the default brief (HTML and tagged PDF), against the floor
   (target: at most 1.5 times)
3. `ca-brief batch` of ten briefs against ten sequential renders of the same ten
   (target: at most 0.6 times)

Each row takes the median of several rounds; in rows 2 and 3 the two commands take turns, so
a drift of the machine's speed touches both alike.

Run: make bench  (or .venv/bin/python bench/bench_render.py [--rounds N])
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ca_combatants.paths import REPO_ROOT

BIN = Path(sys.executable).parent
TEN = [
    ("KZ", "russia"),
    ("KG", "russia"),
    ("TJ", "russia"),
    ("UZ", "russia"),
    ("TM", "russia"),
    ("KZ", "ukraine"),
    ("KG", "ukraine"),
    ("TJ", "ukraine"),
    ("UZ", "ukraine"),
    ("TM", "ukraine"),
]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def floor(tmp: Path) -> float:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "c0",
                "metadata": {},
                "outputs": [],
                "source": "import pandas, seaborn, matplotlib",
            }
        ],
        "metadata": {
            "kernelspec": {
                "name": "ca-brief",
                "display_name": "Python (ca-brief)",
                "language": "python",
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp / "floor.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return timed(
        [
            str(BIN / "papermill"),
            "-k",
            "ca-brief",
            "--no-progress-bar",
            str(path),
            str(tmp / "floor-out.ipynb"),
        ]
    )


def render(tmp: Path) -> float:
    return timed([str(BIN / "ca-brief"), "render", "--output-dir", str(tmp / "render")])


def batch_of_ten(tmp: Path) -> float:
    sets = tmp / "ten.yaml"
    sets.write_text(
        "".join(f"- {{name: b-{c}-{s}, countries: [{c}], side: {s}}}\n" for c, s in TEN),
        encoding="utf-8",
    )
    return timed(
        [
            str(BIN / "ca-brief"),
            "batch",
            "--param-sets",
            str(sets),
            "--output-dir",
            str(tmp / "batch"),
            "--quiet",
        ]
    )


def ten_sequential(tmp: Path) -> float:
    return sum(
        timed(
            [
                str(BIN / "ca-brief"),
                "render",
                "--countries",
                c,
                "--side",
                s,
                "--name",
                f"s-{c}-{s}",
                "--output-dir",
                str(tmp / "seq"),
            ]
        )
        for c, s in TEN
    )


def paired(
    a: Callable[[], float], b: Callable[[], float], rounds: int
) -> tuple[float, float, float]:
    """Medians of a and b, and the median of the rounds' ratios a/b; the two take turns first."""
    times_a, times_b, ratios = [], [], []
    for i in range(rounds):
        if i % 2:
            tb, ta = b(), a()
        else:
            ta, tb = a(), b()
        times_a.append(ta)
        times_b.append(tb)
        ratios.append(ta / tb)
    return statistics.median(times_a), statistics.median(times_b), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds per row (default 5; the batch row takes 3)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ca-brief-bench-") as folder:
        tmp = Path(folder)
        render(tmp)  # warm the operating system's file cache
        t_render, t_floor, r_render = paired(lambda: render(tmp), lambda: floor(tmp), args.rounds)
        t_batch, t_seq, r_batch = paired(
            lambda: batch_of_ten(tmp), lambda: ten_sequential(tmp), max(1, min(3, args.rounds))
        )
    rows = [
        (
            "1 floor: papermill, one cell importing pandas, seaborn, matplotlib",
            f"{t_floor:6.2f} s",
            "",
        ),
        (
            "2 ca-brief render, default brief (HTML, tagged PDF)",
            f"{t_render:6.2f} s",
            f"{r_render:.2f}x floor (target <= 1.5x)",
        ),
        (
            "3 ca-brief batch of 10 / 10 sequential renders",
            f"{t_batch:6.2f} / {t_seq:.2f} s",
            f"{r_batch:.2f}x (target <= 0.6x)",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'median':>16}  ratio")
    for what, t, ratio in rows:
        print(f"{what:<{width}}  {t:>16}  {ratio}")


if __name__ == "__main__":
    main()
