"""The Word file: pandoc converts the brief's HTML page into NAME.docx, for editors.

The page is the one the HTML and the PDF are made from, so the Word file has the same
headings, numbered tables, figures, citations (links to the references) and the cover's scope
lines. Two things are changed before pandoc reads it:

- each chart, an SVG image in the page, becomes a PNG file at `PNG_DPI` (cairosvg), in a
  temporary folder that pandoc reads it from; its alt text stays on the image (Word's
  "descr" on the picture);
- what only a browser uses goes: the style sheet, the page's metadata elements.

Same inputs, same bytes: pandoc takes the zip entries' times and the document's dates from
SOURCE_DATE_EPOCH, set here to the brief's own date (`information_as_of`), never the clock's.
"""

from __future__ import annotations

import base64
import datetime
import io
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

PNG_DPI = 200
LINE_CHARACTERS = 60  # characters one line of a table holds, cell padding included
SVG_PREFIX = "data:image/svg+xml;base64,"
PANDOC_TIMEOUT = 120  # seconds


class DocxError(Exception):
    """pandoc or the chart conversion failed; the message says which and why."""


def pandoc_path() -> str:
    import pypandoc

    return str(pypandoc.get_pandoc_path())


def svg_to_png(svg: bytes, dpi: int = PNG_DPI) -> bytes:
    """The SVG drawn as PNG at `dpi` (its points at their printed size), with the resolution
    recorded in the file so that Word shows it at that size."""
    import cairosvg
    from PIL import Image

    png = cairosvg.svg2png(bytestring=svg, dpi=dpi, background_color="white")
    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.save(out, format="PNG", dpi=(dpi, dpi), optimize=False)
    return out.getvalue()


def _word_page(html: str, folder: Path) -> str:
    """The page as pandoc should read it: charts as PNG files in `folder`; the page's <title>
    (the cover's title) as the document's title, and the cover's own heading dropped, so that
    the headings shifted up one level make the sections Word's Heading 1; the contents
    and the references as paragraphs that carry their own numbers, not Word lists that would
    number them a second time; no style sheet, metadata elements or scripts."""
    import lxml.html

    root = lxml.html.document_fromstring(html)
    for element in root.xpath("//head/style | //head/meta | //script"):
        element.drop_tree()
    cover = "//header[contains(@class, 'cover')]"
    for element in root.xpath(f"{cover}//p[@class='kicker'] | {cover}//h1"):
        element.drop_tree()  # the title and subtitle, from the metadata
    for listing in root.xpath("//nav[contains(@class, 'toc')]//ol | //ol[@class='references']"):
        for item in listing.findall("li"):
            item.tag = "div"
            paragraph = lxml.html.Element("p")
            paragraph.text, item.text = item.text, None
            for child in list(item):
                paragraph.append(child)
            item.append(paragraph)
            listing.addprevious(item)
        listing.drop_tree()
    for element in root.xpath("//article[@id] | //aside[@id]"):
        element.tag = "div"  # pandoc keeps a div's id as a bookmark, not an article's
    main = root.find(".//main")
    for footer in root.xpath("//body/footer"):
        footer.tag = "div"  # the provenance: pandoc reads only <main> when there is one
        if main is not None:
            main.append(footer)
    for kind in root.xpath("//*[self::h3 or self::h4 or self::h5]/span[@class='kind']"):
        kind.text = f"— {kind.text or ''}"  # set apart by its style on the page
    for table in root.iter("table"):
        _set_column_widths(table)
    for n, img in enumerate(root.iter("img"), 1):
        src = img.get("src", "")
        if not src.startswith(SVG_PREFIX):
            continue
        name = f"figure-{n}.png"
        (folder / name).write_bytes(svg_to_png(base64.b64decode(src[len(SVG_PREFIX) :])))
        img.set("src", name)
    return str(lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>"))


def _set_column_widths(table: Any) -> None:
    """Give a table the page's width, shared among its columns by how much text each holds
    (pandoc leaves a table without widths to fit its text, which Word and LibreOffice squeeze
    into half the page)."""
    import lxml.html

    if table.find("colgroup") is not None:
        return
    rows = [row.xpath("./th | ./td") for row in table.iter("tr")]
    if not rows or any(cell.get("colspan") not in (None, "1") for row in rows for cell in row):
        return
    columns = max(len(row) for row in rows)
    if columns < 2:
        return
    # each column first gets room for its longest word (a line of the page holds about
    # LINE_CHARACTERS), so that no word breaks letter by letter; the rest of the width goes
    # to the columns by how much text they hold
    needs, means = [], []
    for i in range(columns):
        texts = [row[i].text_content().strip() for row in rows if len(row) > i]
        longest = max((len(w) for text in texts for w in text.split()), default=0)
        needs.append((longest + 2) / LINE_CHARACTERS)
        means.append(max(sum(len(text) for text in texts) / len(texts), 1.0))
    spare = max(1.0 - sum(needs), 0.0)
    weights = [need + spare * mean / sum(means) for need, mean in zip(needs, means, strict=True)]
    colgroup = lxml.html.Element("colgroup")
    for weight in weights:
        col = lxml.html.Element("col")
        col.set("width", f"{100 * weight / sum(weights):.0f}%")
        colgroup.append(col)
    caption = table.find("caption")
    if caption is not None:
        caption.addnext(colgroup)
    else:
        table.insert(0, colgroup)


def source_date_epoch(manifest: dict[str, Any]) -> str:
    """The brief's own date, midnight UTC, as seconds since 1970."""
    day = datetime.date.fromisoformat(manifest["information_as_of"])
    return str(
        int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp())
    )


def write_docx(html: str, target: Path, manifest: dict[str, Any]) -> None:
    """Convert the brief's page `html` into the Word file `target`."""
    with tempfile.TemporaryDirectory(prefix="ca-brief-docx-") as temporary:
        folder = Path(temporary)
        try:
            page = _word_page(html, folder)
        except Exception as exc:  # cairosvg's and lxml's errors are many
            raise DocxError(f"cannot convert the charts: {type(exc).__name__}: {exc}") from exc
        (folder / "page.html").write_text(page, encoding="utf-8")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": temporary,  # pandoc reads no user's defaults or templates
            "LANG": "C.UTF-8",
            "SOURCE_DATE_EPOCH": source_date_epoch(manifest),
        }
        command = [
            pandoc_path(),
            "--from=html",
            "--to=docx",
            "--standalone",
            "--shift-heading-level-by=-1",
            "--metadata=subtitle:Analytical brief",
            f"--metadata=lang:{manifest.get('language', 'en')}",
            "--output=brief.docx",
            "page.html",
        ]
        try:
            done = subprocess.run(
                command,
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=PANDOC_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DocxError(f"pandoc did not run: {exc}") from None
        if done.returncode != 0:
            message = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
            raise DocxError(f"pandoc failed: {message[0]}")
        target.write_bytes((folder / "brief.docx").read_bytes())


__all__ = ["PNG_DPI", "DocxError", "svg_to_png", "write_docx"]
