"""Validation and loading speed: the real dataset and a synthetic one 1,000 times its size.

Printed, not a test. What matters to users is the real data inside a render (3-8 s on a 2-core
machine): `load` validating, and `load` of a package stamped as validated before, which is what
a render's kernel does after the parent process has validated. The 1,000x package shows how
validation scales; it has no speed target now that correctness comes first.
Run: make bench  (or .venv/bin/python bench/bench_validate.py)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import build

from ca_combatants import dataset
from ca_combatants.paths import DEFAULT_DATA_DIR

FACTOR = 1000


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(data_dir: Path, repeat: int) -> tuple[float, float, float, int]:
    """check, load validating, load stamped (median seconds), and the rows."""
    result = dataset.check(data_dir)
    assert result.ok, result.problems[:5]
    rows = sum(result.counts().values())
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CA_BRIEF_CACHE_DIR"] = ""
        check_s = median_seconds(lambda: dataset.check(data_dir), repeat)
        cold_s = median_seconds(lambda: dataset.load(data_dir), repeat)
        os.environ["CA_BRIEF_CACHE_DIR"] = cache
        dataset.load(data_dir)  # leaves the stamp
        stamped_s = median_seconds(lambda: dataset.load(data_dir), repeat)
    return check_s, cold_s, stamped_s, rows


def main() -> None:
    real = timed(DEFAULT_DATA_DIR, 5)
    with tempfile.TemporaryDirectory() as tmp:
        big = timed(build(DEFAULT_DATA_DIR, Path(tmp) / "data", FACTOR), 3)
    print("dataset.check = ca-brief validate; load = check + typing; stamped = validated before")
    print(f"{'dataset':<16}{'rows':>10}{'check':>10}{'load':>10}{'stamped':>10}  (medians, s)")
    for label, (check_s, cold_s, stamped_s, rows) in (("real", real), (f"x{FACTOR}", big)):
        print(f"{label:<16}{rows:>10}{check_s:>10.3f}{cold_s:>10.3f}{stamped_s:>10.3f}")


if __name__ == "__main__":
    main()
