"""The brief's references as CSL-JSON, the format Zotero and other citation managers import."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the render reads MIME_TYPE without importing pandas
    from .scope import Scope

MIME_TYPE = "application/vnd.citationstyles.csl+json"


def _date_parts(value: Any) -> list[int]:
    import pandas as pd

    day = pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
    return [day.year, day.month, day.day]


def references(scope: Scope, cited: set[str]) -> list[dict[str, Any]]:
    """One CSL item per cited source, in reference-number order. A source whose publication
    date is known only as a range carries the range (CSL's two date-parts); one known only to
    be on or after a date carries that date and says so in words (CSL's `literal`)."""
    import pandas as pd

    from .scope import format_date

    items = []
    for s in scope.sources.sort_values("ref_number").itertuples():
        if s.source_id not in cited:
            continue
        item: dict[str, Any] = {
            "id": s.source_id,
            "type": "article-newspaper",
            "title": s.title,
            "publisher": scope.org_name(s.publisher_org_id),
            "container-title": scope.org_name(s.publisher_org_id),
            "citation-number": int(s.ref_number),
            "language": s.language,
            "note": f"Reliability {s.reliability_grade} (Admiralty scale). {s.reliability_rationale}",
        }
        if pd.notna(s.url):
            item["URL"] = s.url
        if pd.notna(s.published_earliest):
            parts = [_date_parts(s.published_earliest)]
            if pd.notna(s.published_latest) and s.published_latest != s.published_earliest:
                parts.append(_date_parts(s.published_latest))
            item["issued"] = {"date-parts": parts}
            if pd.isna(s.published_latest):
                item["issued"]["literal"] = f"on or after {format_date(s.published_earliest)}"
        items.append(item)
    return items
