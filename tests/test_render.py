"""`ca-brief render` and `batch`: what a reader gets, reproducibility, and failures."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pypdf
import pytest

from ca_combatants import pdf as pdf_module
from ca_combatants import render as render_module
from ca_combatants.params import parse_params
from ca_combatants.paths import NOTEBOOK, REPO_ROOT
from ca_combatants.render import RenderError, render
from ca_combatants.sections import SECTION_ORDER, SECTION_TITLES
from ca_combatants.zygote import Zygote
from tests.processes import live_processes

CLI = str(Path(sys.executable).parent / "ca-brief")
FILES = ("html", "pdf", "ipynb", "manifest.json")


def snapshot(folder: Path, name: str = "brief") -> dict[str, bytes]:
    return {ext: (folder / f"{name}.{ext}").read_bytes() for ext in FILES}


def earlier_report(default_brief: Path, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A folder already holding a good report, and its bytes, to check a failure keeps them."""
    out = tmp_path / "out"
    shutil.copytree(default_brief, out)
    return out, snapshot(out)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def private_temp(tmp_path: Path) -> dict[str, str]:
    """An environment whose temporary folder (kernel connection files, multiprocessing's
    folders) is the test's own, so the test can see what a command leaves in it."""
    folder = tmp_path / "temp"
    folder.mkdir()
    return {**os.environ, "TMPDIR": str(folder)}


@pytest.fixture(scope="module")
def default_brief(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("default")
    render(parse_params({}), out, "brief")
    return out


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


# ----------------------------------------------------------------------------- HTML


def test_html_is_self_contained_with_no_code(default_brief: Path) -> None:
    page = parse(default_brief / "brief.html")
    tags = page.tags
    assert [t for t, _ in tags if t == "script"] == []
    assert all(a.get("rel") != "stylesheet" for t, a in tags if t == "link")
    images = [a for t, a in tags if t == "img"]
    assert len(images) >= 6
    assert all(str(a["src"]).startswith("data:image/") for a in images)
    assert all(a.get("alt") and len(str(a["alt"])) > 20 for a in images)
    html = (default_brief / "brief.html").read_text(encoding="utf-8")
    for code in (
        "brief.section(",
        "start_brief",
        "injected-parameters",
        "import ",
        "In&nbsp;[",
        "def ",
    ):
        assert code not in html
    assert "http://" not in "".join(
        str(a.get("src", "")) for t, a in tags if t in {"img", "script", "link"}
    )


def test_html_has_every_section_a_working_toc_and_ordered_headings(default_brief: Path) -> None:
    page = parse(default_brief / "brief.html")
    ids = {a["id"] for _, a in page.tags if a.get("id")}
    assert set(SECTION_ORDER) <= ids
    toc = [
        str(a["href"])[1:]
        for t, a in page.tags
        if t == "a" and str(a.get("href", "")).startswith("#") and a.get("class") != "cite"
    ]
    assert set(SECTION_ORDER) - {"cover"} <= set(toc)
    assert set(toc) <= ids
    levels = [int(t[1]) for t, _ in page.tags if t in {"h1", "h2", "h3", "h4"}]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), "a heading level is skipped"
    text = "".join(page.text)
    for i, name in enumerate(SECTION_ORDER[1:], 1):
        assert f"{i}. {SECTION_TITLES[name]}" in text


# ----------------------------------------------------------------------------- PDF


def test_pdf_pages_headings_fonts_and_cyrillic(default_brief: Path) -> None:
    reader = pypdf.PdfReader(default_brief / "brief.pdf")
    assert 15 <= len(reader.pages) <= 60
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = "\n".join(p.extract_text() for p in reader.pages)
    for i, name in enumerate(SECTION_ORDER[1:], 1):
        assert f"{i}. {SECTION_TITLES[name]}" in text
    assert "Жасулан Дуйсембiн" in text
    assert "Page 3 of" in text  # page numbers
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get(
                "/FontDescriptor"
            )
            fonts[font["/BaseFont"]] = descriptor is not None and any(
                k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts and all(fonts.values()), fonts
    assert "manifest.json" in reader.attachments
    assert (
        reader.metadata["/datasha256"]
        == json.loads((default_brief / "brief.manifest.json").read_text())["data"]["sha256"]
    )


def test_pdf_contents_and_page_numbers_match_where_each_section_starts(
    default_brief: Path,
) -> None:
    """The sections are laid out apart and joined: the numbers must still be right."""
    reader = pypdf.PdfReader(default_brief / "brief.pdf")
    pages = [p.extract_text() for p in reader.pages]
    total = len(pages)
    assert "Page " not in pages[0]  # the cover carries no number
    title = parse_params({}).title
    for number, text in enumerate(pages[1:], 2):
        assert f"Page {number} of {total}" in text
        assert title in text, f"page {number} has no running title"
    contents = pages[1]
    for i, name in enumerate(SECTION_ORDER[1:], 1):
        heading = f"{i}. {SECTION_TITLES[name]}"
        listed = re.search(re.escape(heading) + r"[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert listed, f"{heading!r} not in the contents: {contents!r}"
        starts = next(n for n, text in enumerate(pages[2:], 3) if heading in text.splitlines())
        assert int(listed.group(1)) == starts, heading


def test_pdf_links_resolve_across_sections_and_the_outline_lists_every_section(
    default_brief: Path,
) -> None:
    reader = pypdf.PdfReader(default_brief / "brief.pdf")
    targets = reader.named_destinations
    linked_from: dict[str, set[int]] = {}
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            dest = annot.get_object().get("/Dest")
            if isinstance(dest, str):
                linked_from.setdefault(dest, set()).add(number)
    assert len(linked_from) > 20
    assert sorted(set(linked_from) - set(targets)) == []
    for name in SECTION_ORDER[1:]:  # the contents' links lead to each section's first page
        assert 1 in linked_from[name]
        assert reader.get_destination_page_number(targets[name]) > 1
    reference = next(n for n in targets if n.startswith("ref-"))
    ref_page = reader.get_destination_page_number(targets[reference])
    assert min(linked_from[reference]) < ref_page  # a citation reaches another section
    title, children = reader.outline[0], reader.outline[1]
    assert title.title == parse_params({}).title
    top = [item.title for item in children if not isinstance(item, list)]
    assert top == ["Contents"] + [
        f"{i}. {SECTION_TITLES[name]}" for i, name in enumerate(SECTION_ORDER[1:], 1)
    ]


def test_manifest_records_parameters_data_hashes_and_versions(default_brief: Path) -> None:
    manifest = json.loads((default_brief / "brief.manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["countries"] == ["KZ", "KG", "TJ", "UZ", "TM"]
    for rel, digest in manifest["data"]["files"].items():
        assert hashlib.sha256((REPO_ROOT / "data" / rel).read_bytes()).hexdigest() == digest
    assert {"pandas", "weasyprint", "papermill", "seaborn"} <= set(manifest["packages"])
    assert str(REPO_ROOT) not in json.dumps(manifest)  # no machine paths
    html = (default_brief / "brief.html").read_text(encoding="utf-8")
    assert manifest["data"]["sha256"] in html


def test_same_parameters_give_identical_bytes(default_brief: Path, tmp_path: Path) -> None:
    # rendered as in a batch this time: the kernel forked from a zygote, the PDF laid out on a
    # thread rather than on worker processes; same bytes
    zygote = Zygote(render_module.KERNEL_NAME)
    try:
        render(parse_params({}), tmp_path, "brief", pdf_workers=0, zygote=zygote)
    finally:
        zygote.close()
    assert (tmp_path / "brief.html").read_bytes() == (default_brief / "brief.html").read_bytes()
    assert (tmp_path / "brief.pdf").read_bytes() == (default_brief / "brief.pdf").read_bytes()


def test_letter_paper_and_a_redacted_pdf_with_no_private_name(tmp_path: Path) -> None:
    from ca_combatants.dataset import load
    from ca_combatants.scope import Scope

    params = parse_params({"paper_size": "Letter", "redact_private_persons": True})
    render(params, tmp_path, "letter")
    reader = pypdf.PdfReader(tmp_path / "letter.pdf")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)

    def titles(items: list[Any]) -> list[str]:
        return [t for i in items for t in (titles(i) if isinstance(i, list) else [i.title])]

    # what a reader of the PDF can find: page text, bookmarks, link targets, metadata
    findable = "\n".join(
        [p.extract_text() for p in reader.pages]
        + titles(reader.outline)
        + list(reader.named_destinations)
        + [str(v) for v in (reader.metadata or {}).values()]
    )
    names = Scope(load(REPO_ROOT / "data"), params).private_name_strings()
    assert names
    for name in names:
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", findable), name


# ----------------------------------------------------------------------------- failures


def broken_notebook(tmp_path: Path, section: str) -> Path:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if f"section:{section}" in cell["metadata"].get("tags", []):
            cell["source"] = "raise ZeroDivisionError('boom in the legal section')"
    path = tmp_path / "broken.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_failing_cell_names_the_section_keeps_the_notebook_and_the_old_report(
    default_brief: Path, tmp_path: Path
) -> None:
    out, before = earlier_report(default_brief, tmp_path)
    with pytest.raises(RenderError) as info:
        render(parse_params({}), out, "brief", notebook=broken_notebook(tmp_path, "legal_exposure"))
    assert (
        str(info.value)
        == "section 'Legal exposure' (code cell 8 of 13 in the executed notebook) failed: ZeroDivisionError: boom in the legal section"
    )
    assert (out / "brief.failed.ipynb").exists()
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_pdf_engine_failure_leaves_the_old_report(
    default_brief: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before = earlier_report(default_brief, tmp_path)

    def explode(*_: Any, **__: Any) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(render_module.PdfParts, "write", explode)
    with pytest.raises(RenderError, match="PDF engine failed: OSError: no space left on device"):
        render(parse_params({}), out, "brief")
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_a_part_failing_to_lay_out_fails_the_render_and_leaves_the_old_report(
    default_brief: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before = earlier_report(default_brief, tmp_path)
    real_lay_out = pdf_module.lay_out

    def fail_on_references(html: str, *args: Any) -> Any:
        if 'id="references"' in html:
            raise ValueError("cannot lay out the references")
        return real_lay_out(html, *args)

    monkeypatch.setattr(pdf_module, "lay_out", fail_on_references)
    with pytest.raises(
        RenderError, match="PDF engine failed: ValueError: cannot lay out the references"
    ):
        render(parse_params({}), out, "brief", pdf_workers=0)  # on a thread, so the patch applies
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_interrupted_render_leaves_the_old_report_and_no_temporary_files(
    default_brief: Path, tmp_path: Path
) -> None:
    out, before = earlier_report(default_brief, tmp_path)
    env = private_temp(tmp_path)
    proc = subprocess.Popen(
        [CLI, "render", "--output-dir", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while (
        not leftovers(out) and time.monotonic() < deadline
    ):  # wait until the render has begun writing
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: nothing was written" in err
    assert snapshot(out) == before
    assert leftovers(out) == []
    assert os.listdir(env["TMPDIR"]) == []


def test_two_renders_of_one_name_at_once_leave_a_consistent_set(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [CLI, "render", "--output-dir", str(tmp_path), "--countries", c, "--side", "russia"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for c in ("KZ", "KG")
    ]
    assert [p.wait(timeout=180) for p in procs] == [0, 0]
    manifest = json.loads((tmp_path / "brief.manifest.json").read_text(encoding="utf-8"))
    nb = json.loads((tmp_path / "brief.ipynb").read_text(encoding="utf-8"))
    pdf = pypdf.PdfReader(tmp_path / "brief.pdf")
    winner = manifest["parameters"]["countries"]
    assert nb["metadata"]["papermill"]["parameters"]["countries"] == winner
    meta = {
        a["name"]: a["content"]
        for t, a in parse(tmp_path / "brief.html").tags
        if t == "meta" and a.get("name")
    }
    assert json.loads(str(meta["parameters"]))["countries"] == winner
    assert json.loads(str(meta["manifest"])) == manifest
    assert json.loads(pdf.metadata["/parameters"])["countries"] == winner
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--side", "russian"], "error: parameter 'side': bad value 'russian'"),
        (["--countries", "KZ,XX"], "error: parameter 'countries': bad value 'XX'"),
        (["--name", "../escape"], "error: bad --name '../escape'"),
    ],
)
def test_bad_parameters_exit_2_with_one_message(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """The kernel is started before the parameters are checked: none may outlive the error."""
    mark = f"CA_BRIEF_TEST_MARK={uuid.uuid4()}"
    proc = subprocess.run(
        [CLI, "render", "--output-dir", str(tmp_path), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **dict([mark.split("=")])},
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(message)
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []
    assert _processes_with(mark) == []


def _processes_with(environment_entry: str) -> list[str]:
    """Live processes whose environment holds the entry (what a command started, kernels too)."""
    entry = environment_entry.encode()
    return live_processes(
        lambda pid, _: entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    )


def test_invalid_data_exits_2_with_the_problems_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "data", data)
    (data / "tactics.csv").write_text("")
    proc = subprocess.run(
        [CLI, "render", "--data-dir", str(data), "--output-dir", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "data/tactics.csv: file is empty" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_params_file_and_options(tmp_path: Path) -> None:
    """Also: once the command has exited, none of its processes (kernel, PDF workers and their
    fork server) is left, and it printed nothing on stderr."""
    params = tmp_path / "p.yaml"
    params.write_text("countries: [KG]\nside: ukraine\ntitle: A Kyrgyz brief\n", encoding="utf-8")
    mark = f"CA_BRIEF_TEST_MARK={uuid.uuid4()}"
    proc = subprocess.run(
        [
            CLI,
            "render",
            "--params",
            str(params),
            "--side",
            "both",
            "--name",
            "kg",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **dict([mark.split("=")]), "IPYTHONDIR": str(tmp_path / "ipython")},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert _processes_with(mark) == []
    # the brief's cells are not written into the user's IPython history
    assert list((tmp_path / "ipython").rglob("history.sqlite")) == []
    manifest = json.loads((tmp_path / "kg.manifest.json").read_text(encoding="utf-8"))
    assert (
        manifest["parameters"]["countries"] == ["KG"] and manifest["parameters"]["side"] == "both"
    )
    assert "A Kyrgyz brief" in (tmp_path / "kg.html").read_text(encoding="utf-8")


def test_a_batch_lays_out_a_part_its_briefs_share_once_for_all_its_workers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What share_parts() gives a batch's workers: a part one worker laid out is the same bytes
    for another, which does not lay it out again; a part with other HTML, another identifier
    or another stylesheet is laid out."""
    laid_out: list[tuple[str, bytes]] = []
    real = pdf_module.lay_out

    def counting(html: str, pdf_id: bytes, *args: Any) -> pdf_module.Part:
        laid_out.append((html, pdf_id))
        return real(html, pdf_id, *args)

    monkeypatch.setattr(pdf_module, "lay_out", counting)
    css = render_module.brief_css()
    one, other = "<p>Қазақстан</p>", "<p>Кыргызстан</p>"
    results = []
    for worker in range(2):  # two workers, each with its own handle on the batch's folder
        monkeypatch.setattr(pdf_module, "_shared", pdf_module._SharedParts(str(tmp_path)))
        pool = pdf_module.PartPool(0)
        try:
            results.append(pool.lay_out(one, b"one", None, css).result())
            if worker == 1:
                pool.lay_out(other, b"one", None, css).result()
                pool.lay_out(one, b"two", None, css).result()
                pool.lay_out(one, b"one", None, css + "p { color: red }").result()
        finally:
            pool.close()
    assert results[1] == results[0] and results[0].pages == 1
    assert laid_out == [(one, b"one"), (other, b"one"), (one, b"two"), (one, b"one")]


# ----------------------------------------------------------------------------- batch


def batch_of(tmp_path: Path, parameter_sets: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run `ca-brief batch` on a YAML list of parameter sets; return it and its output folder."""
    sets = tmp_path / "sets.yaml"
    sets.write_text(parameter_sets, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [CLI, "batch", "--param-sets", str(sets), "--output-dir", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc, out


def test_batch_keeps_going_when_one_fails_and_writes_an_index(tmp_path: Path) -> None:
    broken = tmp_path / "broken-data"
    shutil.copytree(REPO_ROOT / "data", broken)
    (broken / "tactics.csv").write_text("")
    proc, out = batch_of(
        tmp_path,
        f"- {{name: kz, countries: [KZ], side: russia}}\n- {{name: bad, countries: [KG], data_dir: {broken}}}\n- {{name: uz, countries: [UZ]}}\n",
    )
    assert proc.returncode == 1, proc.stderr
    assert "2 ok, 1 failed" in proc.stdout
    assert (
        (out / "kz.pdf").exists() and (out / "uz.pdf").exists() and not (out / "bad.pdf").exists()
    )
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="kz.html"' in index and 'href="uz.pdf"' in index and "failed" in index


def test_batch_grid_names_each_combination(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            CLI,
            "batch",
            "--grid",
            "countries=TJ,TM",
            "--grid",
            "side=ukraine",
            "--output-dir",
            str(tmp_path),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "brief-TJ-ukraine.html").exists() and (
        tmp_path / "brief-TM-ukraine.pdf"
    ).exists()
    assert "2 ok, 0 failed" in proc.stdout


def test_a_batch_gives_the_same_bytes_as_render(default_brief: Path, tmp_path: Path) -> None:
    """A batch's kernels are forked from a zygote and its workers lay out on a thread, sharing
    parts: the default brief, rendered last, takes every section and the page numbers from the
    first brief (the same parameters under another name), yet is the same HTML and PDF as
    `render` writes."""
    proc, out = batch_of(
        tmp_path, "- {name: first}\n- {name: kz, countries: [KZ]}\n- {name: brief}\n"
    )
    assert proc.returncode == 0, proc.stderr
    for kind in ("html", "pdf"):
        assert (out / f"brief.{kind}").read_bytes() == (
            default_brief / f"brief.{kind}"
        ).read_bytes()


def _session_members(session: int) -> list[str]:
    """Processes still alive in a session (the batch, its workers, zygotes and kernels)."""
    return live_processes(lambda _, fields: int(fields[3]) == session)


def _session_left_after(session: int, seconds: float = 15.0) -> list[str]:
    """The session's processes still alive once it has had `seconds` to end (on a loaded
    machine a killed kernel can take more than a second to go), with their command lines."""
    deadline = time.monotonic() + seconds
    while (members := _session_members(session)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [f"{pid}: {_command_line(pid)}" for pid in members]


def _command_line(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "(ended)"


def _batch_in_its_own_session(
    countries: str, out: Path, env: dict[str, str]
) -> subprocess.Popen[str]:
    """A batch in a session of its own, so that a Ctrl-C can go, as in a terminal, to every
    process of its group."""
    return subprocess.Popen(
        [CLI, "batch", "--grid", f"countries={countries}", "--output-dir", str(out), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )


def test_ctrl_c_stops_a_batch_at_once_and_leaves_nothing_half_done(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = private_temp(tmp_path)
    proc = _batch_in_its_own_session("KZ,KG,TJ,UZ", out, env)
    deadline = time.monotonic() + 90
    while not leftovers(out) and time.monotonic() < deadline:  # two briefs under way
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    started = time.monotonic()
    stdout, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    # the queued briefs do not run first (they would take 15 s or more); stopping the briefs
    # under way can take several seconds when the machine is loaded, as under the test suite
    assert time.monotonic() - started < 45
    assert "interrupted: the briefs marked ok are complete" in err
    assert "Traceback" not in err, err
    assert "not started: the batch was interrupted" in stdout
    assert leftovers(out) == []  # no temporary folder of an interrupted brief
    written = {p.name for p in out.iterdir()} - {"index.html"}
    finished = {line.split()[0] for line in stdout.splitlines() if " ok " in line}
    assert written == {f"{n}.{ext}" for n in finished for ext in FILES}
    assert _session_left_after(proc.pid) == []  # no worker, zygote or kernel left running
    # nor any kernel's connection file, however early in its start the kernel was stopped
    assert os.listdir(env["TMPDIR"]) == []


@pytest.mark.parametrize(
    "moment",
    [
        "ca-brief-parts-",  # the batch has begun: its zygote starts, its workers are forked
        "kernel-",  # a worker has asked the zygote for a kernel
    ],
)
def test_ctrl_c_while_a_batch_starts_leaves_nothing_behind(tmp_path: Path, moment: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = private_temp(tmp_path)
    proc = _batch_in_its_own_session("KZ,KG", out, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        name.startswith(moment) for name in os.listdir(env["TMPDIR"])
    ):
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)  # no worker outlives the batch, holding its output
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert _session_left_after(proc.pid) == []
    assert os.listdir(env["TMPDIR"]) == []  # no kernel's connection file, no parts folder
    assert leftovers(out) == []


# ----------------------------------------------------------------------------- a browser


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (CI installs it)",
)
def test_browser_loads_every_image_and_toc_link_without_console_errors(default_brief: Path) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route(
            "**/*",
            lambda route: (
                requests.append(route.request.url),
                route.continue_()
                if route.request.url.startswith(("file:", "data:"))
                else route.abort(),
            ),
        )
        page.goto((default_brief / "brief.html").as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])"
        )
        broken_links = page.eval_on_selector_all(
            "nav.toc a, a.cite",
            "as => as.filter(a => !document.getElementById(a.getAttribute('href').slice(1))).map(a => a.getAttribute('href'))",
        )
        browser.close()
    assert len(images) >= 6 and all(done and width > 0 for done, width in images)
    assert broken_links == []
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
