"""The PDF: WeasyPrint lays out the brief's HTML page in one pass, as a tagged file that is both
PDF/A-3a (archival, with the manifest attached, which PDF/A-3 allows) and PDF/UA-1
(accessible). The page numbers, the contents' page numbers and the running heads come from the
page's own print CSS.

WeasyPrint makes one variant at a time; its pdf/a-3a variant tags the file as pdf/ua-1 does
(structure tree, /Lang, /MarkInfo, DisplayDocTitle) and adds what PDF/A needs (output intent,
/ID, annotation flags, the attachment's /AF). What PDF/UA-1 still needs is its identification
in the XMP metadata, declared by a PDF/A extension schema; `_identify_as_pdf_ua` adds it."""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import TEMPLATES_DIR

PDF_VARIANT = "pdf/a-3a"
PDF_UA_XMP = b"""<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
"""


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
    document.write_pdf(target, finisher=_identify_as_pdf_ua, **options)
    return len(document.pages)


def _identify_as_pdf_ua(_document: Any, pdf: Any) -> None:
    """WeasyPrint's finisher: add pdfuaid:part=1, and the extension schema that declares it,
    to the one rdf:RDF block of the XMP stream that the pdf/a-3a variant wrote. (WeasyPrint's
    own xmp_metadata option writes a second rdf:RDF block, which validators do not read.)"""
    reference = pdf.catalog["Metadata"]  # "N 0 R"
    number = int(
        (reference.decode() if isinstance(reference, bytes) else str(reference)).split()[0]
    )
    stream = pdf.objects[number]
    xmp = b"".join(stream.stream)
    if xmp.count(b"</rdf:RDF>") != 1:
        raise RuntimeError("the PDF's XMP metadata is not laid out as expected")
    stream.stream = [xmp.replace(b"</rdf:RDF>", PDF_UA_XMP + b"</rdf:RDF>")]


__all__ = ["PDF_VARIANT", "Attachment", "identifier", "write_pdf"]
