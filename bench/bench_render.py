"""Rendering speed, printed as one table.

1. floor: papermill executing a one-cell notebook that imports pandas, seaborn and matplotlib
2. peer: the chain a user would type: papermill, jupyter nbconvert --to html --no-input, WeasyPrint on that HTML
   (nbconvert --to webpdf cannot use Debian's Chromium, so WeasyPrint stands in, as the design notes)
3. this project's `ca-brief render` of the default brief (HTML and PDF)
4. `ca-brief batch` of 10 parameter sets against 10 sequential renders (median of 3 rounds)
5. the default brief on a synthetic dataset 1,000 times the real one: time (after one warming
   render, median of 5 ratios, each against the real brief rendered in the same pair) and peak
   memory (one more run, sampled)

Run: make bench  (or .venv/bin/python bench/bench_render.py [--quick])
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import build

from ca_combatants.paths import DEFAULT_DATA_DIR, NOTEBOOK, REPO_ROOT

BIN = Path(sys.executable).parent
GRID = ["--grid", "countries=KZ,KG,TJ,UZ,TM", "--grid", "side=russia,ukraine"]


def run(cmd: list[str], cwd: Path = REPO_ROOT) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
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
    path.write_text(json.dumps(nb))
    return run(
        [str(BIN / "papermill"), str(path), str(tmp / "floor-out.ipynb"), "--no-progress-bar"]
    )


def peer(tmp: Path) -> tuple[float, float, float]:
    executed = tmp / "peer.ipynb"
    a = run(
        [
            str(BIN / "papermill"),
            str(NOTEBOOK),
            str(executed),
            "-k",
            "ca-brief",
            "--no-progress-bar",
        ]
    )
    b = run(
        [
            str(BIN / "jupyter"),
            "nbconvert",
            "--to",
            "html",
            "--no-input",
            str(executed),
            "--output",
            "peer",
        ],
        cwd=tmp,
    )
    c = run(
        [str(BIN / "python"), "-m", "weasyprint", str(tmp / "peer.html"), str(tmp / "peer.pdf")],
        cwd=tmp,
    )
    return a, b, c


def ours(tmp: Path, *extra: str) -> float:
    return run([str(BIN / "ca-brief"), "render", "--output-dir", str(tmp / "ours"), *extra])


def batch_of_ten(tmp: Path) -> float:
    return run(
        [str(BIN / "ca-brief"), "batch", *GRID, "--output-dir", str(tmp / "batch"), "--quiet"]
    )


def ten_sequential_renders(tmp: Path) -> float:
    return sum(
        ours(tmp, "--countries", c, "--side", s, "--name", f"{c}-{s}")
        for c in ("KZ", "KG", "TJ", "UZ", "TM")
        for s in ("russia", "ukraine")
    )


def paired(
    first: Callable[[], float], second: Callable[[], float], pairs: int
) -> tuple[list[float], list[float], list[float]]:
    """Times of `first` and `second` run in pairs, taking turns at going first, and each pair's
    ratio first/second: this machine's speed drifts by a quarter within minutes, so a ratio is
    only fair within a pair."""
    firsts: list[float] = []
    seconds: list[float] = []
    turns = ((first, firsts), (second, seconds))
    for pair in range(pairs):
        for measure, times in turns[:: 1 if pair % 2 == 0 else -1]:
            times.append(measure())
    return firsts, seconds, [a / b for a, b in zip(firsts, seconds, strict=True)]


def _process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    tree, i = [root], 0
    while i < len(tree):
        tree += children.get(tree[i], [])
        i += 1
    return tree


def _field_kb(pid: int, path: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_sampled(cmd: list[str]) -> tuple[float, float, float]:
    """Wall time; peak memory of the whole process tree (sum of PSS, so pages shared by forked
    workers count once); and the largest single process's peak RSS. Sampled every 50 ms."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tree_peak = process_peak = 0
    while proc.poll() is None:
        pids = _process_tree(proc.pid)
        tree_peak = max(tree_peak, sum(_field_kb(p, "smaps_rollup", "Pss:") for p in pids))
        process_peak = max([process_peak] + [_field_kb(p, "status", "VmHWM:") for p in pids])
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()[-3000:]}")
    return seconds, tree_peak / 1024, process_peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-rounds", type=int, default=3)
    parser.add_argument("--big-pairs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip the batch and 1,000x rows")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        ours(tmp)  # warm the file cache and the kernel's byte-code
        # interleaved, so that a machine slowing down or speeding up hits all three alike
        floors, peers, ourselves = [], [], []
        for _ in range(args.repeat):
            floors.append(floor(tmp))
            peers.append(peer(tmp))
            ourselves.append(ours(tmp))
        fl, us = statistics.median(floors), statistics.median(ourselves)
        pe = statistics.median(sum(p) for p in peers)
        parts = [statistics.median(p[i] for p in peers) for i in range(3)]
        _, us_tree_mb, us_process_mb = run_sampled(
            [str(BIN / "ca-brief"), "render", "--output-dir", str(tmp / "ours")]
        )
        rows.append(
            ("1 floor: papermill, one cell importing pandas/seaborn/matplotlib", f"{fl:.2f} s", "")
        )
        rows.append(
            (
                "2 peer: papermill + nbconvert html + WeasyPrint",
                f"{pe:.2f} s",
                f"{parts[0]:.2f} + {parts[1]:.2f} + {parts[2]:.2f} s",
            )
        )
        rows.append(
            (
                "3 ca-brief render (HTML + PDF)",
                f"{us:.2f} s",
                f"{us / fl:.2f}x floor (target <= 1.8); {us / pe:.2f}x peer (target <= 0.4); "
                f"peak memory {us_tree_mb:.0f} MB for all processes, {us_process_mb:.0f} MB for the largest",
            )
        )
        if not args.quick:
            batches, sequentials, ratios = paired(
                lambda: batch_of_ten(tmp), lambda: ten_sequential_renders(tmp), args.batch_rounds
            )
            rows.append(
                (
                    "4 batch of 10 vs 10 sequential renders",
                    f"{statistics.median(batches):.2f} s",
                    f"sequential {statistics.median(sequentials):.2f} s; "
                    f"{statistics.median(ratios):.2f}x (target <= 0.6), median of "
                    f"{len(ratios)} rounds: " + ", ".join(f"{r:.2f}" for r in ratios),
                )
            )
            big = build(DEFAULT_DATA_DIR, tmp / "big" / "data", 1000)
            big_render = [
                str(BIN / "ca-brief"),
                "render",
                "--data-dir",
                str(big),
                "--output-dir",
                str(tmp / "big-out"),
            ]
            # warmed as the real brief is: its first render validates the new package, which
            # every later render of it skips
            run(big_render)
            # timed without the memory sampler, which takes CPU from the render on two cores
            bigs, reals, big_ratios = paired(
                lambda: run(big_render), lambda: ours(tmp), args.big_pairs
            )
            t, real = statistics.median(bigs), statistics.median(reals)
            _, tree_mb, process_mb = run_sampled(big_render)
            pages = subprocess.run(
                [
                    str(BIN / "python"),
                    "-c",
                    f"import pypdf; print(len(pypdf.PdfReader('{tmp / 'big-out' / 'brief.pdf'}').pages))",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            rows.append(
                (
                    "5 default brief, synthetic data x1000",
                    f"{t:.2f} s",
                    f"{statistics.median(big_ratios):.2f}x the real one (target <= 1.5), median of "
                    f"{len(big_ratios)} pairs: " + ", ".join(f"{r:.2f}" for r in big_ratios) + "; "
                    f"real one {real:.2f} s alongside; peak memory {tree_mb:.0f} MB for all processes, "
                    f"{process_mb:.0f} MB for the largest (target < 500); {pages} PDF pages",
                )
            )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'time':>9}  notes")
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>9}  {note}")


if __name__ == "__main__":
    main()
