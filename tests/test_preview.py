"""`ca-brief preview`: served, watched, re-rendered in a warm kernel, reloaded in the browser,
and stopped with everything it started."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ca_combatants import preview
from ca_combatants.datafiles import tables_of
from tests.processes import live_processes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BIN = Path(sys.executable).parent
SOURCE = "gv_2023_03_23"  # its title is listed in the references
STARTUP_SECONDS = 300


class Running:
    """A `ca-brief preview` process of the test's own, in its own session."""

    def __init__(self, data_dir: Path, temp: Path):
        self.temp = temp
        self.process = subprocess.Popen(
            [str(BIN / "ca-brief"), "preview", "--data-dir", str(data_dir), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "TMPDIR": str(temp)},
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.url = self.wait_for(r"(http://127\.0\.0\.1:\d+/)").group(1)
        self.wait_for(r"preview: (rendered|the data is invalid|the render failed)")

    def wait_for(self, pattern: str) -> re.Match[str]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r} in: {''.join(self.lines)}")

    def descendants(self) -> list[str]:
        """Its live child processes and theirs (the kernel runs in a session of its own)."""
        family = {str(self.process.pid)}
        while True:
            more = set(live_processes(lambda _pid, fields: fields[1] in family)) - family
            if not more:
                return sorted(family - {str(self.process.pid)})
            family.update(more)


@pytest.fixture
def running(data_copy: Path, tmp_path: Path) -> Iterator[Running]:
    temp = tmp_path / "temp"
    temp.mkdir()
    run = Running(data_copy, temp)
    try:
        yield run
    finally:
        if run.process.poll() is None:
            os.killpg(run.process.pid, signal.SIGKILL)
            run.process.wait()


def test_the_served_copy_alone_carries_the_reload_script() -> None:
    page = "<!DOCTYPE html><html><body><main>brief</main></body></html>"
    served = preview.with_reload_script(page, 7).decode()
    assert served.startswith(page[: page.index("</body>")])
    assert 'new EventSource("/__events")' in served and 'var generation = "7"' in served
    assert served.endswith("</script></body></html>")


def test_invalid_data_page_lists_each_problem_escaped(tmp_path: Path) -> None:
    page = preview.invalid_page(tmp_path, ["sources.csv:2: column 'x': bad <value>"])
    assert "The data is invalid: no brief is shown" in page
    assert "bad &lt;value&gt;" in page and "<value>" not in page
    assert "1 problem(s)" in page


def test_a_cell_runs_as_in_ipython_its_last_expression_is_its_value() -> None:
    namespace: dict[str, object] = {}
    assert preview._run_cell("x = 2\nx * 21", namespace) == 42
    assert preview._run_cell("y = 1", namespace) is None and namespace["y"] == 1


@pytest.mark.slow
@pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (CI installs it)",
)
def test_browser_sees_an_edit_then_the_problem_then_the_brief_and_ctrl_c_stops_all(
    running: Running,
    data_copy: Path,
    edit_cell: Callable[[Path, str, str, str, str], int],
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        page = browser.new_page()
        page.goto(running.url)
        page.wait_for_selector("#references", timeout=120_000)
        assert page.locator("script").count() == 1  # the reload script, in the served copy only
        # one cell of a CSV: the page shows the new value, swapped into the open page (a mark
        # left on the window survives: it was not reloaded) with only the changed parts replaced
        page.evaluate("window.notReloaded = true")
        cover = page.locator("main > *").first.evaluate_handle("e => e")
        edit_cell(data_copy, "sources", SOURCE, "title", "Central Asians on both sides, as edited")
        page.wait_for_function(
            "document.body.innerText.includes('Central Asians on both sides, as edited')",
            timeout=120_000,
        )
        assert page.evaluate("window.notReloaded === true")
        assert page.evaluate("c => c.isConnected", cover)  # the cover did not change: kept
        assert page.locator("script").count() == 1
        assert page.evaluate(
            "document.querySelector('meta[name=data-sha256]').content"
        ) in page.inner_text("footer.provenance")  # head and footer follow the new data
        page.locator(f"#ref-{SOURCE}").scroll_into_view_if_needed()
        page.screenshot(path=str(running.temp.parent / "after-edit.png"))
        # a broken row: the problems, not the brief of before
        line = edit_cell(data_copy, "sources", SOURCE, "reliability_grade", "Z")
        page.wait_for_selector("#preview-status", timeout=120_000)
        status = page.inner_text("#preview-status")
        problems = page.inner_text("ul.problems")
        assert status == "The data is invalid: no brief is shown"
        assert f"sources.csv:{line}: column 'reliability_grade'" in problems
        assert page.locator("#references").count() == 0
        page.screenshot(path=str(running.temp.parent / "invalid.png"))
        # fixed: the brief again, with the edit
        edit_cell(data_copy, "sources", SOURCE, "reliability_grade", "B")
        page.wait_for_selector("#references", timeout=120_000)
        assert "Central Asians on both sides, as edited" in page.inner_text("#references")
        browser.close()
    # the kernel stayed warm: one kernel, started once, for all four renders
    kernels = [
        pid
        for pid in running.descendants()
        if b"ipykernel_launcher" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(kernels) == 1, running.descendants()
    assert not any("restarting the kernel" in line for line in running.lines)
    # Ctrl-C: everything it started stops, its temporary folder goes
    os.kill(running.process.pid, signal.SIGINT)
    assert running.process.wait(timeout=60) == 130
    deadline = time.monotonic() + 10
    while live_processes(lambda pid, _fields: pid in kernels) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_processes(lambda pid, _fields: pid in kernels) == []
    assert list(running.temp.iterdir()) == []


def test_a_chart_is_kept_only_for_the_same_data() -> None:
    import pandas as pd

    frame = pd.DataFrame({"country": ["KZ", "KG"], "cases": [2, 5]})
    same = pd.DataFrame({"country": ["KZ", "KG"], "cases": [2, 5]})
    edited = pd.DataFrame({"country": ["KZ", "KG"], "cases": [2, 6]})
    assert preview._fingerprint((frame, 1)) == preview._fingerprint((same, 1))
    assert preview._fingerprint((frame, 1)) != preview._fingerprint((edited, 1))
    assert preview._fingerprint((frame, 1)) != preview._fingerprint((frame, 2))  # its number
    assert preview._fingerprint((frame, ["Tajikistan"])) != preview._fingerprint((frame, []))


def test_a_second_render_of_the_same_data_draws_no_chart_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every chart of the default brief is kept by the preview: a chart function missing from
    preview.CHARTS, or one given a function among its arguments, would be drawn again at every
    edit (drawing is a third of a render)."""
    from ca_combatants import figures
    from ca_combatants.brief import Brief
    from ca_combatants.dataset import load
    from ca_combatants.params import parse_params
    from ca_combatants.paths import DEFAULT_DATA_DIR

    drawings: list[int] = []
    to_svg = figures._to_svg

    def counted(fig: object) -> str:
        drawings.append(1)
        return to_svg(fig)  # type: ignore[arg-type]

    for name in preview.CHARTS:  # put back after the test, as they were
        monkeypatch.setattr(figures, name, getattr(figures, name))
    monkeypatch.setattr(figures, "_kept_by_preview", False, raising=False)
    monkeypatch.setattr(figures, "_to_svg", counted)
    preview.keep_charts_drawn()
    data = load(DEFAULT_DATA_DIR)
    first = Brief(parse_params({}), data)
    first.sections()
    assert len(drawings) == len(first.figure_numbers) >= 4
    drawings.clear()
    Brief(parse_params({}), data).sections()
    assert drawings == []
    with pytest.raises(TypeError):
        preview._fingerprint((len,))


def test_a_section_result_is_kept_by_its_content() -> None:
    from ca_combatants.sentencing import ExcludedCase

    one = ExcludedCase(*["x"] * len(ExcludedCase.__dataclass_fields__))
    same = ExcludedCase(*["x"] * len(ExcludedCase.__dataclass_fields__))
    other = ExcludedCase(*["y"] * len(ExcludedCase.__dataclass_fields__))
    assert preview._fingerprint((one, 2)) == preview._fingerprint((same, 2))
    assert preview._fingerprint((one, 2)) != preview._fingerprint((other, 2))


# ----------------------------------------------------------------------------- kept validations


def test_an_edit_validates_only_its_table_and_finds_what_a_fresh_check_finds(
    data_copy: Path,
    edit_cell: Callable[[Path, str, str, str, str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ca_combatants import dataset

    def fresh() -> list[str]:
        with monkeypatch.context() as plain:
            plain.setattr(dataset, "table_problems", own_rules)
            return [str(p) for p in dataset.check(data_copy).problems]

    own_rules, validated = dataset.table_problems, []

    def counted(resource: dict[str, object], df: object) -> list[object]:
        validated.append(resource["name"])
        return own_rules(resource, df)  # type: ignore[arg-type]

    # the preview's seam installed here, undone after the test
    monkeypatch.setattr(dataset, "table_problems", counted)
    monkeypatch.setattr(dataset, "validation_stamp", dataset.validation_stamp)
    monkeypatch.setattr(dataset, "_kept_by_preview", False, raising=False)
    preview.keep_tables_validated()
    kept = lambda: [str(p) for p in dataset.check(data_copy).problems]  # noqa: E731

    assert kept() == [] and len(validated) == len(tables_of(dataset.read_descriptor(data_copy)))
    validated.clear()
    line = edit_cell(data_copy, "sources", SOURCE, "reliability_grade", "Z")
    problems = kept()
    assert validated == ["sources"]  # the other tables' rules were kept
    assert problems == fresh() and any(
        p.startswith(f"sources.csv:{line}: column 'reliability_grade'") for p in problems
    )
    # the broken row moved to the top: the kept result of before must not answer (lines differ)
    path = data_copy / "sources.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = next(r for r in rows if r.startswith(SOURCE + ","))
    path.write_text(header + broken + "".join(r for r in rows if r is not broken), "utf-8")
    problems = kept()
    assert problems == fresh() and any(
        p.startswith("sources.csv:2: column 'reliability_grade'") for p in problems
    )
    # a table of the same cells as one validated before is not validated again
    edit_cell(data_copy, "sources", SOURCE, "reliability_grade", "B")
    edit_cell(data_copy, "sources", SOURCE, "reliability_grade", "Z")
    validated.clear()
    assert kept() == fresh() and validated == []
    # a rule across tables still runs on every check: a claim of a source that is gone
    edit_cell(data_copy, "sources", SOURCE, "reliability_grade", "B")
    edit_cell(data_copy, "sources", SOURCE, "source_id", "gv_gone")
    problems = kept()
    assert problems == fresh() and any(p.startswith("claims.csv:") for p in problems)


# ----------------------------------------------------------------------------- the same page


def _sections(page: str) -> dict[str, str]:
    found = re.findall(
        r'(<section class="brief-section[a-z -]*" id="([a-z_]+)".*?</section>)(?=\s*(?:<section class="brief-section|<nav|</main>))',
        page,
        flags=re.S,
    )
    return {name: html for html, name in found}


@pytest.mark.slow
def test_the_page_after_edits_is_the_page_a_full_render_of_the_same_data_gives(
    data_copy: Path,
    tmp_path: Path,
    edit_cell: Callable[[Path, str, str, str, str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ca_combatants.params import parse_params
    from ca_combatants.render import render
    from ca_combatants.sections import headings

    monkeypatch.setenv("CA_BRIEF_CACHE_DIR", str(tmp_path / "cache"))
    params = parse_params({"data_dir": str(data_copy)})
    folder = tmp_path / "preview"
    folder.mkdir()
    shown = preview.Preview(params, folder)
    shown.kernel.start()
    try:
        assert shown.build() == "ok"
        # a text, then a number that a chart draws, then a broken row and its fix
        edit_cell(data_copy, "sources", SOURCE, "title", "Central Asians on both sides, as edited")
        assert shown.build() == "ok"
        edit_cell(data_copy, "figures", "fig_bbc_2023_total", "value_low", "94")
        assert shown.build() == "ok"
        line = edit_cell(data_copy, "sources", SOURCE, "reliability_grade", "Z")
        assert shown.build() == "invalid"
        assert f"sources.csv:{line}: column &#x27;reliability_grade&#x27;" in shown._page
        edit_cell(data_copy, "sources", SOURCE, "reliability_grade", "C")
        assert shown.build() == "ok"
        previewed = shown._page
    finally:
        shown.kernel.stop()
    rendered = render(params, tmp_path / "out", "preview", formats=("html",))
    full = rendered.files["html"].read_text(encoding="utf-8")
    ours, theirs = _sections(previewed), _sections(full)
    assert list(theirs) == ["cover", *headings(params)]
    for name in theirs:
        assert ours[name] == theirs[name], f"section {name} differs from a full render's"
    assert "Central Asians on both sides, as edited" in ours["references"]
    assert previewed == full  # and the page around them, manifest included
