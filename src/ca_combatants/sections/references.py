"""References: every source a citation can point to, with publisher, date and URL."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..dataset import isin
from ..scope import Scope, format_date


def analyse(scope: Scope) -> dict[str, Any]:
    def refs(cited: set[str]) -> list[dict[str, Any]]:
        """Entries for the cited sources only: which are cited is known once the sections are written."""
        entries = []
        for s in scope.sources[isin(scope.sources["source_id"], cited)].itertuples():
            date = (
                format_date(s.published_earliest) if pd.notna(s.published_earliest) else "undated"
            )
            if pd.notna(s.published_earliest) and s.published_earliest != s.published_latest:
                date = f"published between {format_date(s.published_earliest)} and {format_date(s.published_latest)}"
            entries.append(
                {
                    "number": s.ref_number,
                    "source_id": s.source_id,
                    "publisher": scope.org_name(s.publisher_org_id),
                    "title": s.title,
                    "date": date,
                    "url": None if pd.isna(s.url) else s.url,
                    "archived": None
                    if pd.isna(s.archived_path)
                    else f"{s.archived_path} (sha256 {str(s.sha256)[:16]}…)",
                    "grade": s.reliability_grade,
                }
            )
        return entries

    return {"refs": refs, "n_sources": len(scope.sources), "charts": []}
