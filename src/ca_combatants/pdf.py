"""The PDF: WeasyPrint lays out the brief's HTML page in one pass, as a tagged PDF/UA-1 file
with the manifest attached. The page numbers, the contents' page numbers and the running heads
come from the page's own print CSS."""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from .paths import TEMPLATES_DIR

PDF_VARIANT = "pdf/ua-1"


@dataclass(frozen=True)
class Attachment:
    name: str
    text: str
    description: str
    stamp: datetime.datetime


def identifier(text: str) -> bytes:
    """A PDF identifier derived from the content, so equal inputs give equal bytes."""
    return hashlib.sha256(b"ca-brief" + text.encode("utf-8")).hexdigest()[:32].encode()


def write_pdf(html: str, target: Path, attachment: Attachment) -> int:
    """Lay out `html` and write the PDF to `target`; return the number of pages."""
    import weasyprint

    # WeasyPrint warns through logging about what it cannot do (a missing HarfBuzz subsetter,
    # an unknown CSS property); a render's output is the files, not those warnings
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    options = {
        "pdf_variant": PDF_VARIANT,
        "pdf_identifier": identifier(html),
        "custom_metadata": True,
        "attachments": [
            weasyprint.Attachment(
                string=attachment.text,
                name=attachment.name,
                description=attachment.description,
                # WeasyPrint stamps attachments with the clock unless told: same inputs, same bytes
                created=attachment.stamp,
                modified=attachment.stamp,
            )
        ],
    }
    # the variant's options (tags among them) act on the layout as well as on the file
    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).render(**options)
    # the page's <meta> elements become the PDF's document information; the viewport is for
    # browsers only
    document.metadata.custom.pop("viewport", None)
    document.write_pdf(target, **options)
    return len(document.pages)


__all__ = ["PDF_VARIANT", "Attachment", "identifier", "write_pdf"]
