"""Live preview latency (a figure, not a test): from a one-cell edit of a CSV file to the open
page showing the change, with the preview's kernel kept warm between renders (target: at most
1.0 s, median).

`ca-brief preview` runs on a copy of data/; headless Chromium has the page open; each round
changes one source's title in sources.csv and times until the page's text holds the new title
(the watcher's wait, the render in the warm kernel, the reload). The machine's load average is
printed beside the figure, since a render is CPU-bound.

Run: .venv/bin/python bench/bench_preview.py [--rounds N]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ca_combatants.paths import DEFAULT_DATA_DIR

BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SOURCE = "gv_2023_03_23"


def set_title(data_dir: Path, title: str) -> None:
    path = data_dir / "sources.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        if row["source_id"] == SOURCE:
            row["title"] = title
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as temporary:
        data = Path(temporary) / "data"
        shutil.copytree(DEFAULT_DATA_DIR, data)
        process = subprocess.Popen(
            [str(BIN / "ca-brief"), "preview", "--data-dir", str(data), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        try:
            url = ""
            while not url:
                line = process.stdout.readline()
                if not line:
                    raise SystemExit("the preview stopped before it served")
                found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
                url = found.group(1) if found else ""
            latencies, renders = [], []
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                page.goto(url)
                page.wait_for_selector("#references", timeout=300_000)
                for n in range(args.rounds):
                    title = f"Benchmark edit number {n}"
                    start = time.perf_counter()
                    set_title(data, title)
                    page.wait_for_function(
                        f"document.body.innerText.includes({title!r})", timeout=300_000
                    )
                    latencies.append(time.perf_counter() - start)
                    while True:  # the preview's own report of the render
                        line = process.stdout.readline()
                        found = re.search(r"rendered in ([0-9.]+) s", line)
                        if found or not line:
                            renders.append(float(found.group(1)) if found else float("nan"))
                            break
                browser.close()
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=60)
    load = os.getloadavg()[0]
    print(f"{'row':<52} {'median':>8} {'min':>8} {'max':>8}")
    print(
        f"{'CSV edit to page showing it (warm kernel)':<52} {statistics.median(latencies):7.2f}s"
        f" {min(latencies):7.2f}s {max(latencies):7.2f}s"
    )
    print(
        f"{'  of which the render in the kernel':<52} {statistics.median(renders):7.2f}s"
        f" {min(renders):7.2f}s {max(renders):7.2f}s"
    )
    print(
        f"target: at most 1.00 s median; {args.rounds} rounds; load average {load:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
