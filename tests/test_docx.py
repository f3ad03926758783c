"""The Word file: `ca-brief render --format docx`, read back with python-docx."""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ca_combatants import docx as word
from ca_combatants.cli import main
from ca_combatants.params import parse_params
from ca_combatants.render import render
from ca_combatants.sections import headings as section_headings

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class Facts(HTMLParser):
    """What the HTML page holds that the Word file must hold too."""

    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str] = []
        self.captions: list[str] = []
        self.references = 0
        self.tables = 0
        self.cover_terms: list[str] = []
        self._in: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables += 1
        if tag == "img":
            self.alts.append(a.get("alt") or "")
        if tag == "li" and (a.get("id") or "").startswith("ref-"):
            self.references += 1
        if tag in ("caption", "dt"):
            self._in, self._text = tag, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            (self.captions if tag == "caption" else self.cover_terms).append(self._text.strip())
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("word")
    done = render(parse_params({}), out, "brief", formats=("html", "docx"))
    assert set(done.files) == {"html", "docx", "ipynb", "manifest", "references"}
    assert not (out / "brief.pdf").exists()
    return out


@pytest.fixture(scope="module")
def facts(brief: Path) -> Facts:
    f = Facts()
    f.feed((brief / "brief.html").read_text(encoding="utf-8"))
    return f


@pytest.mark.slow
def test_word_file_has_the_title_cover_scope_and_every_section_heading(
    brief: Path, facts: Facts
) -> None:
    import docx

    document = docx.Document(str(brief / "brief.docx"))
    styles = [(p.style.name, p.text) for p in document.paragraphs if p.style is not None]
    assert styles[0] == ("Title", parse_params({}).title)
    headings = [text for style, text in styles if style == "Heading 1"]
    assert headings == ["Contents", *section_headings(parse_params({})).values()]
    # the cover's scope lines, before the first heading
    cover = styles[: [t for _, t in styles].index("Contents")]
    terms = [text for style, text in cover if style == "Definition Term"]
    assert terms == facts.cover_terms and "Scope" in terms and "Information as of" in terms
    scope = cover[[t for _, t in cover].index("Scope") + 1][1]
    assert scope.startswith("Nationals of Kazakhstan")


@pytest.mark.slow
def test_word_file_numbers_its_tables_as_the_html_does(brief: Path, facts: Facts) -> None:
    import docx

    document = docx.Document(str(brief / "brief.docx"))
    captions = [p.text for p in document.paragraphs if p.style and p.style.name == "Table Caption"]
    assert captions == facts.captions
    numbered = [c for c in captions if c.startswith("Table ")]  # the annex chronology is not
    assert [re.match(r"Table (\d+)\.", c).group(1) for c in numbered] == [  # type: ignore[union-attr]
        str(n) for n in range(1, len(numbered) + 1)
    ]
    assert len(numbered) >= 5
    assert (
        len(document.tables) == facts.tables
    )  # the captioned ones and the discrepancies' versions
    first = document.tables[0]
    assert [c.text for c in first.rows[0].cells] == ["Country", "Russia", "Ukraine"]


@pytest.mark.slow
def test_word_file_figures_are_png_at_200_dpi_with_the_alt_text(brief: Path, facts: Facts) -> None:
    import docx
    from PIL import Image

    document = docx.Document(str(brief / "brief.docx"))
    shapes = list(document.inline_shapes)
    assert len(shapes) == len(facts.alts) >= 2  # the brief proper's charts
    assert [s._inline.docPr.get("descr") for s in shapes] == facts.alts
    assert all(alt.strip() for alt in facts.alts)
    for shape in shapes:
        rid = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        part = document.part.related_parts[rid]
        assert part.content_type == "image/png"
        with Image.open(io.BytesIO(part.blob)) as image:
            # pixels per inch as the image is shown on the page
            shown = image.width / shape.width.inches
            assert shown >= word.PNG_DPI - 1, shown
    captions = [p.text for p in document.paragraphs if p.style and p.style.name == "Image Caption"]
    assert (
        captions[:2] and captions[0].startswith("Figure 1.") and captions[1].startswith("Figure 2.")
    )


@pytest.mark.slow
def test_word_file_citations_link_to_the_references(brief: Path, facts: Facts) -> None:
    import docx

    document = docx.Document(str(brief / "brief.docx"))
    texts = [p.text for p in document.paragraphs]
    start = texts.index(section_headings(parse_params({}))["references"])
    listed = [t for t in texts[start:] if re.match(r"\[\d+\] ", t)]
    assert [t.split("]")[0] + "]" for t in listed] == [
        f"[{n}]" for n in range(1, facts.references + 1)
    ]
    manifest = json.loads((brief / "brief.manifest.json").read_text(encoding="utf-8"))
    assert f"data sha256 {manifest['data']['sha256']}" in texts[-1]  # the provenance, last
    body = document.element.body
    anchors = {h.get(f"{W}anchor") for h in body.iter(f"{W}hyperlink")} - {None}
    bookmarks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    cited = {a for a in anchors if a.startswith("ref-")}
    assert len(cited) == facts.references
    assert anchors <= bookmarks, anchors - bookmarks


@pytest.mark.slow
def test_word_file_is_byte_reproducible_and_dated_by_the_brief(brief: Path, tmp_path: Path) -> None:
    import docx

    manifest = json.loads((brief / "brief.manifest.json").read_text(encoding="utf-8"))
    again = tmp_path / "again.docx"
    word.write_docx((brief / "brief.html").read_text(encoding="utf-8"), again, manifest)
    assert again.read_bytes() == (brief / "brief.docx").read_bytes()
    day = datetime.date.fromisoformat(manifest["information_as_of"])
    properties = docx.Document(str(again)).core_properties
    assert properties.created is not None and properties.created.date() == day
    with zipfile.ZipFile(again) as z:
        assert {i.date_time[:3] for i in z.infolist()} == {(day.year, day.month, day.day)}
        xml = b"".join(z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels")))
    assert b"ca-brief-docx-" not in xml and b"/tmp" not in xml  # no temporary folder named


def test_unknown_format_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["render", "--format", "html,odt", "--output-dir", str(out)]) == 2
    assert "bad --format html,odt: give one or more of html, pdf, docx" in capsys.readouterr().err
    assert not out.exists()


def test_a_chart_becomes_a_png_of_its_printed_size_at_200_dpi() -> None:
    from PIL import Image

    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="72pt" height="36pt" viewBox="0 0 72 36"><rect width="72" height="36" fill="#0072b2"/></svg>'
    png = word.svg_to_png(svg)
    assert png == word.svg_to_png(svg)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (200, 100)  # one inch by half an inch
        assert round(image.info["dpi"][0]) == 200


@pytest.mark.slow
def test_a_render_without_docx_leaves_no_link_to_the_word_file_of_before(
    brief: Path, tmp_path: Path
) -> None:
    import shutil

    out = tmp_path / "out"
    shutil.copytree(brief, out, symlinks=True)
    assert (out / "brief.docx").is_symlink() and (out / "brief.docx").exists()
    done = render(parse_params({}), out, "brief", formats=("html",))
    assert set(done.files) == {"html", "ipynb", "manifest", "references"}
    assert not (out / "brief.docx").is_symlink() and not (out / "brief.docx").exists()
    assert (out / "brief.html").exists() and not (out / "brief.pdf").exists()
