"""Live preview latency (a figure, not a test): from a one-cell edit of a CSV file to the open
page showing the change, with the preview's kernel kept warm between renders (target: at most
1.0 s, median).

`ca-brief preview` runs on a copy of data/ with a cache folder of its own; headless Chromium has
the page open; each round changes one source's title in sources.csv (or, with --table claims, one claim's
statement in claims.csv, the largest table) to a text never written before (so that nothing an
earlier run kept can answer) and times until the page holds it. The render in the kernel is the preview's own report; the rest is the watcher's wait, the
page's reload and the browser drawing it. The machine's load average is printed beside the
figure, since a render is CPU-bound and the machine may be shared.

--stages prints where a render's time goes instead: the preview's render (build_in_kernel, with
the preview's kernel-side speed-ups) run in this process after the same one-cell edits, each
stage timed as CPU seconds of this process (wall seconds on a shared machine measure the
neighbours as much as the brief).

Run: .venv/bin/python bench/bench_preview.py [--rounds N] [--stages] [--table sources|claims]
"""

from __future__ import annotations

import argparse
import csv
import functools
import importlib
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ca_combatants.paths import DEFAULT_DATA_DIR, NOTEBOOK

BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SOURCE = "gv_2023_03_23"
CLAIM = "cl_gv_truck_video"  # told in the scope section of the default brief
Spent = dict[str, list[float]]
URL = re.compile(r"(http://127\.0\.0\.1:\d+/)")
RENDERED = re.compile(r"(?:rendered in |the data is invalid \(|the render failed \()([0-9.]+) s")


# what an edit changes: a source's title (listed in the references) or, with --table claims,
# the statement of a claim the brief tells (the claims table is the largest, and each edit has
# its table's own rules run again)
EDITS = {
    "sources": ("source_id", SOURCE, "title"),
    "claims": ("claim_id", CLAIM, "statement"),
}


def edit_cell(data_dir: Path, table: str, text: str) -> None:
    key, row_id, column = EDITS[table]
    path = data_dir / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        if row[key] == row_id:
            row[column] = text
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


def shown_js(table: str, text: str) -> str:
    """A test, in the page, that the edit is shown: the reference's own text for a source (not
    the page's text, whose reading at every frame would take the kernel's CPU), the body's
    text content (no layout) for a claim."""
    if table == "sources":
        where = f"(document.getElementById('ref-{SOURCE}') || {{}}).textContent"
    else:
        where = "document.body.textContent"
    return f"{where}?.includes({text!r})"


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children[int(fields[1])].append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    children, found, todo = _children(), [], [pid]
    while todo:
        found.extend(more := children.get(todo.pop(), []))
        todo.extend(more)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def row(label: str, values: list[float], unit: str = "s") -> str:
    if unit == "ms":
        v = [x * 1000 for x in values]
        return f"{label:<52} {statistics.median(v):7.0f}ms {min(v):7.0f}ms {max(v):7.0f}ms"
    return f"{label:<52} {statistics.median(values):7.2f}s {min(values):7.2f}s {max(values):7.2f}s"


def browser_rounds(rounds: int, table: str) -> None:
    from playwright.sync_api import sync_playwright

    token = secrets.token_hex(4)
    with tempfile.TemporaryDirectory() as temporary:
        data = Path(temporary) / "data"
        shutil.copytree(DEFAULT_DATA_DIR, data)
        process = subprocess.Popen(
            [str(BIN / "ca-brief"), "preview", "--data-dir", str(data), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, "CA_BRIEF_CACHE_DIR": str(Path(temporary) / "cache")},
        )
        assert process.stdout is not None
        lines: list[tuple[float, str]] = []  # each line of the preview's, as it came
        served = threading.Event()

        def read(stream: Any) -> None:
            for line in stream:
                lines.append((time.perf_counter(), line))
                if URL.search(line):
                    served.set()

        threading.Thread(target=read, args=(process.stdout,), daemon=True).start()
        try:
            if not served.wait(300):
                raise SystemExit("the preview did not serve: " + "".join(x for _, x in lines))
            url = next(m.group(1) for _, x in lines if (m := URL.search(x)))
            latencies, starts = [], []
            cpu: Spent = defaultdict(list)  # CPU seconds from the save to the page showing it
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                page.goto(url)
                page.wait_for_selector("#references", timeout=300_000)
                time.sleep(1)  # the first render's report printed
                ours = descendants(os.getpid())  # Chromium, and Playwright's driver
                kernel = [
                    pid
                    for pid in descendants(process.pid)
                    if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
                ]
                browsers = [pid for pid in ours if pid != process.pid and pid not in kernel]
                for n in range(rounds):
                    title = f"Benchmark edit {token} number {n}"
                    used = [cpu_seconds(kernel), cpu_seconds([process.pid]), cpu_seconds(browsers)]
                    start = time.perf_counter()
                    edit_cell(data, table, title)
                    page.wait_for_function(shown_js(table, title), timeout=300_000, polling=10)
                    latencies.append(time.perf_counter() - start)
                    starts.append(start)
                    now = [cpu_seconds(kernel), cpu_seconds([process.pid]), cpu_seconds(browsers)]
                    for key, a, b in zip(("kernel", "preview", "browser"), used, now, strict=True):
                        cpu[key].append(b - a)
                    time.sleep(0.3)  # the preview's report of the render, and a pause
                browser.close()
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=60)
    # the renders of one round: every render reported between its edit and the next (a save
    # the watcher sees as two changes is two renders, the first of a half-written file)
    ends = [*starts[1:], float("inf")]
    renders = [
        sum(float(m.group(1)) for at, x in lines if a <= at < b and (m := RENDERED.search(x)))
        for a, b in zip(starts, ends, strict=True)
    ]
    load = os.getloadavg()[0]
    print(f"{'row':<52} {'median':>8} {'min':>8} {'max':>8}")
    print(row(f"{table}.csv edit to page showing it (warm kernel)", latencies))
    print(row("  of which the render(s) in the kernel", renders))
    print(
        row(
            "  the rest: watcher, reload, drawing",
            [a - b for a, b in zip(latencies, renders, strict=True)],
        )
    )
    print(row("CPU, save to page: the kernel", cpu["kernel"]))
    print(row("CPU, save to page: the preview's process", cpu["preview"]))
    print(row("CPU, save to page: Chromium", cpu["browser"]))
    total = [sum(x) for x in zip(cpu["kernel"], cpu["preview"], cpu["browser"], strict=True)]
    print(row("CPU, save to page: all three", total))
    print(
        f"target: at most 1.00 s median; {rounds} rounds; load average {load:.1f} on {os.cpu_count()} cores"
    )


# ----------------------------------------------------------------------------- --stages


def _timed(owner: Any, name: str, label: str, spent: defaultdict[str, float]) -> None:
    function = getattr(owner, name)

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start

    setattr(owner, name, timed)


def stage_rounds(rounds: int, table: str) -> None:
    from ca_combatants import brief, dataset, preview, render
    from ca_combatants.sections import SECTION_ORDER

    spent: defaultdict[str, float] = defaultdict(float)
    token = secrets.token_hex(4)
    with tempfile.TemporaryDirectory() as temporary:
        os.environ["CA_BRIEF_CACHE_DIR"] = str(Path(temporary) / "cache")
        data = Path(temporary) / "data"
        shutil.copytree(DEFAULT_DATA_DIR, data)
        values, target = {"data_dir": str(data)}, str(Path(temporary) / "page.html")
        preview.build_in_kernel(values, str(NOTEBOOK), target)  # the kernel's first render
        for owner, name, label in [
            (preview, "build_in_kernel", "total"),
            (dataset, "load", "load"),
            (dataset, "read_table", "reading the CSV files"),
            (dataset, "_read_archived_texts", "reading the archived texts"),
            (dataset, "_rule_problems", "rules"),
            (dataset, "table_problems", "each table's own rules (only the edited one run)"),
            (dataset, "typed_dataset", "typing the columns"),
            (brief.Brief, "render_section", "sections"),
            (render, "build_manifest", "the manifest (file hashes, git)"),
            (render, "page_html", "the page's template"),
        ]:
            if hasattr(owner, name):
                _timed(owner, name, label, spent)
        if not hasattr(dataset, "table_problems"):  # a version before the seam: its parts
            for name in ("build_schema", "_schema_problems", "_text_problems"):
                _timed(dataset, name, _OWN, spent)
        for section in SECTION_ORDER:
            module = importlib.import_module(f"ca_combatants.sections.{section}")
            _timed(module, "analyse", f"analysis: {section}", spent)
        per_round: Spent = defaultdict(list)
        for n in range(rounds):
            spent.clear()
            edit_cell(data, table, f"Benchmark edit {token} number {n}")
            preview.build_in_kernel(values, str(NOTEBOOK), target)
            analyses = sum(v for k, v in spent.items() if k.startswith("analysis: "))
            derived = {
                "rules across tables": spent["rules"] - spent[_OWN],
                "analyses (sections/, scope.py)": analyses,
                "section templates, charts, redaction": spent["sections"] - analyses,
                "loading: the rest (descriptor, file hashes)": spent["load"]
                - spent["rules"]
                - spent["reading the CSV files"]
                - spent["reading the archived texts"]
                - spent["typing the columns"],
            }
            derived["the rest (notebook, cells, page write)"] = (
                spent["total"]
                - spent["load"]
                - spent["sections"]
                - spent["the manifest (file hashes, git)"]
                - spent["the page's template"]
            )
            for key, value in {**spent, **derived}.items():
                per_round[key].append(value)
    print(f"{'stage (CPU of the kernel process)':<52} {'median':>8} {'min':>8} {'max':>8}")
    for key in _STAGES:
        print(row(key, per_round[key], "ms"))
    print("  analyses by section:")
    for key in sorted(
        (k for k in per_round if k.startswith("analysis: ")),
        key=lambda k: -statistics.median(per_round[k]),
    ):
        print(row(f"    {key[len('analysis: ') :]}", per_round[key], "ms"))
    print(f"{rounds} rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


_OWN = "each table's own rules (only the edited one run)"
_STAGES = [
    "total",
    "reading the CSV files",
    "reading the archived texts",
    _OWN,
    "rules across tables",
    "typing the columns",
    "loading: the rest (descriptor, file hashes)",
    "analyses (sections/, scope.py)",
    "section templates, charts, redaction",
    "the manifest (file hashes, git)",
    "the page's template",
    "the rest (notebook, cells, page write)",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stages", action="store_true", help="where a render's time goes")
    parser.add_argument(
        "--table", choices=sorted(EDITS), default="sources", help="the table each round edits"
    )
    args = parser.parse_args()
    if args.stages:
        stage_rounds(args.rounds, args.table)
    else:
        browser_rounds(args.rounds, args.table)


if __name__ == "__main__":
    main()
