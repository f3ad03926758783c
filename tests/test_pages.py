"""The PDF as a reader turns its pages: a brief proper short enough to read in one sitting, and
no page left mostly blank where the text runs on.

A page's fullness is measured as a copy editor's first pass measures it: the lines of text
pdftotext finds on the page, against what a full page of this brief holds (the page at the
75th percentile of lines, about 45 in the default brief). A page under a third of that is near
empty, except where a part ends: the last page of the brief proper, of each annex and of the
references, and the cover and contents, which stand alone."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from ca_combatants.params import parse_params
from ca_combatants.render import render

pytestmark = pytest.mark.slow  # every test here renders a PDF

SELECTIONS = {
    "default": {},
    "KZ": {"countries": ["KZ"]},
    "ukraine": {"side": "ukraine"},
    "redacted-2023-04-01": {"redact_private_persons": True, "as_of": "2023-04-01"},
}
BRIEF_PROPER_MAX = 12  # A4 pages before the first annex, for the default selection
CONTENTS = re.compile(r"^\s*(Table of )?Contents\s*$", re.M | re.I)
# a part's first page: an annex's label, or the references' heading (not a contents line)
PART_START = re.compile(r"^\s*(Annex [A-Z]|\d+\. References)\s*$", re.M)
FIRST_ANNEX = re.compile(r"^\s*Annex A\s*$", re.M)


@dataclass(frozen=True)
class Pages:
    texts: list[str]

    @classmethod
    def of(cls, pdf: Path) -> Pages:
        out = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        )
        texts = out.stdout.split("\f")
        if texts and not texts[-1].strip():
            texts = texts[:-1]
        return cls(texts)

    @property
    def lines(self) -> list[int]:
        return [len([line for line in t.splitlines() if line.strip()]) for t in self.texts]

    @property
    def full(self) -> int:
        """The lines a full page holds: the page at the 75th percentile."""
        return sorted(self.lines)[int(len(self.lines) * 0.75)] or 1

    def _is_contents(self, i: int) -> bool:
        return bool(CONTENTS.search(self.texts[i]))

    @property
    def first_annex(self) -> int | None:
        """The number of the page on which Annex A starts."""
        return next(
            (
                i + 1
                for i, t in enumerate(self.texts)
                if i > 0 and not self._is_contents(i) and FIRST_ANNEX.search(t)
            ),
            None,
        )

    @property
    def part_ends(self) -> set[int]:
        """The numbers of the last page of each part: the page before each annex or the
        references start, and the document's last page."""
        starts = [
            i + 1
            for i, t in enumerate(self.texts)
            if i > 0 and not self._is_contents(i) and PART_START.search(t)
        ]
        return {s - 1 for s in starts} | {len(self.texts)}

    @property
    def near_empty(self) -> list[int]:
        """Pages less than a third full, the cover, contents and each part's last page aside."""
        ends = self.part_ends
        return [
            i + 1
            for i, n in enumerate(self.lines)
            if i > 0 and i + 1 not in ends and not self._is_contents(i) and n < self.full / 3
        ]


needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler's pdftotext measures the pages"
)


@pytest.fixture(scope="module", params=list(SELECTIONS))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Pages:
    out = tmp_path_factory.mktemp(f"pages-{request.param}")
    render(parse_params(SELECTIONS[request.param]), out, "brief")
    return Pages.of(out / "brief.pdf")


@needs_pdftotext
def test_no_page_is_near_empty_where_the_text_runs_on(rendered: Pages) -> None:
    assert rendered.first_annex, "no page starts Annex A"
    assert rendered.full >= 30, rendered.lines  # the measure is a real page of text
    assert not rendered.near_empty, (
        f"pages {rendered.near_empty} are less than a third full "
        f"(a full page holds {rendered.full} lines; lines per page {rendered.lines})"
    )


@needs_pdftotext
def test_the_default_brief_proper_is_at_most_twelve_pages(tmp_path: Path) -> None:
    render(parse_params({}), tmp_path, "brief")
    pages = Pages.of(tmp_path / "brief.pdf")
    assert pages.first_annex
    assert pages.first_annex - 1 <= BRIEF_PROPER_MAX, f"{pages.first_annex - 1} pages"


# ----------------------------------------------------------------------------- the check itself


def synthetic(tmp_path: Path, pages: list[str]) -> Pages:
    """A PDF of the given pages (HTML each, one per A4 page), measured as a brief is."""
    import weasyprint

    body = "".join(
        f'<div style="break-before: {"page" if i else "auto"}">{p}</div>'
        for i, p in enumerate(pages)
    )
    pdf = tmp_path / "synthetic.pdf"
    weasyprint.HTML(string=f"<html><body style='font-size: 10pt'>{body}</body></html>").write_pdf(
        pdf
    )
    return Pages.of(pdf)


def lines(n: int) -> str:
    return "".join(f"<p style='margin:0'>text line {i}</p>" for i in range(n))


@needs_pdftotext
def test_the_check_finds_a_near_empty_page_and_spares_each_parts_last_page(
    tmp_path: Path,
) -> None:
    full = lines(45)
    pages = synthetic(
        tmp_path,
        [
            "<h1>Cover</h1>",
            full,
            lines(5),  # text runs on after this page: near empty
            full,
            lines(6),  # the brief proper's last page
            "<p>Annex A</p>" + lines(44),
            lines(4),  # Annex A's last page
            "<p>9. References</p>" + lines(44),
            lines(3),  # the document's last page
        ],
    )
    assert len(pages.texts) == 9 and pages.full >= 44
    assert pages.first_annex == 6
    assert pages.part_ends == {5, 7, 9}
    assert pages.near_empty == [3]

    # once an annex follows the thin page, it is the brief proper's last page, and spared
    spared = synthetic(tmp_path, ["<h1>Cover</h1>", full, lines(5), "<p>Annex A</p>" + full])
    assert spared.near_empty == []
    assert spared.first_annex == 4
