"""References: every source the brief cites, with publisher, date and URL."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from ..dataset import isin
from ..scope import Scope, format_date
from ._common import SectionResult


@dataclass(frozen=True)
class Reference:
    number: int
    source_id: str
    publisher: str
    title: str
    date: str
    url: str | None
    archived: str | None
    grade: str


@dataclass(frozen=True, kw_only=True)
class References(SectionResult):
    refs: list[Reference]
    n_uncited: int  # sources in scope that the brief does not cite


def analyse(scope: Scope, cited: Collection[str]) -> References:
    """Entries for the cited sources only (the brief works out which from its sections)."""
    entries = []
    for s in scope.sources[isin(scope.sources["source_id"], cited)].itertuples():
        date = format_date(s.published_earliest) if pd.notna(s.published_earliest) else "undated"
        if pd.notna(s.published_earliest) and s.published_earliest != s.published_latest:
            date = f"published between {format_date(s.published_earliest)} and {format_date(s.published_latest)}"
        entries.append(
            Reference(
                number=s.ref_number,
                source_id=s.source_id,
                publisher=scope.lookups.org_name(s.publisher_org_id),
                title=s.title,
                date=date,
                url=None if pd.isna(s.url) else s.url,
                archived=None
                if pd.isna(s.archived_path)
                else f"{s.archived_path} (sha256 {str(s.sha256)[:16]}…)",
                grade=s.reliability_grade,
            )
        )
    return References(refs=entries, n_uncited=len(scope.sources) - len(entries))
