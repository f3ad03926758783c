"""Validation speed: the real dataset and a synthetic one 1,000 times its size.

Target: validating the 1,000x dataset takes under 2 seconds on a 2-core machine.
Run: make bench  (or .venv/bin/python bench/bench_validate.py)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import build

from ca_combatants import dataset
from ca_combatants.paths import DEFAULT_DATA_DIR

FACTOR = 1000
TARGET_SECONDS = 2.0


def timed(data_dir: Path, repeat: int) -> tuple[float, int]:
    times = []
    rows = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = dataset.check(data_dir)
        times.append(time.perf_counter() - start)
        assert result.ok, result.problems[:5]
        rows = sum(result.counts().values())
    return statistics.median(times), rows


def main() -> None:
    real_s, real_rows = timed(DEFAULT_DATA_DIR, 5)
    with tempfile.TemporaryDirectory() as tmp:
        big = build(DEFAULT_DATA_DIR, Path(tmp) / "data", FACTOR)
        big_s, big_rows = timed(big, 3)
    print(
        "ca-brief validate (dataset.check): every rule, all tables; typing for analysis is not included"
    )
    print(f"{'dataset':<22}{'rows':>10}{'validate (median)':>20}")
    print(f"{'real':<22}{real_rows:>10}{real_s:>19.3f}s")
    print(f"{f'synthetic x{FACTOR}':<22}{big_rows:>10}{big_s:>19.3f}s")
    verdict = "meets" if big_s < TARGET_SECONDS else "MISSES"
    print(f"target: x{FACTOR} under {TARGET_SECONDS:.1f} s -> {verdict} ({big_s:.2f} s)")


if __name__ == "__main__":
    main()
