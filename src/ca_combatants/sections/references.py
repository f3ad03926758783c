"""References: every source the brief cites, with publisher, date and URL."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..dataset import isin
from ..scope import MONTHS, Scope, format_date
from ._common import SectionResult


def _day(value: Any) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def published(earliest: Any, latest: Any) -> str:
    """When a source was published, as a reader writes it: '21 December 2024', 'between 21 and
    22 September 2022', 'on or after 1 November 2022' (a range open at one end), 'undated'."""
    first, last = _day(earliest), _day(latest)
    if first is None and last is None:
        return "undated"
    if last is None:
        return f"on or after {format_date(first)}"
    if first is None:
        return f"on or before {format_date(last)}"
    if first == last:
        return format_date(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"between {first.day} and {format_date(last)}"
    if first.year == last.year:
        return f"between {first.day} {MONTHS[first.month - 1]} and {format_date(last)}"
    return f"between {format_date(first)} and {format_date(last)}"


@dataclass(frozen=True)
class Reference:
    number: int
    source_id: str
    publisher: str
    title: str
    title_stop: str  # the full stop after the title, unless it ends in its own
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
        when = published(s.published_earliest, s.published_latest)
        date = "Undated" if when == "undated" else f"Published {when}"
        entries.append(
            Reference(
                number=s.ref_number,
                source_id=s.source_id,
                publisher=scope.lookups.org_name(s.publisher_org_id),
                title=s.title,
                title_stop="" if str(s.title).rstrip()[-1:] in ".?!" else ".",
                date=date,
                url=None if pd.isna(s.url) else s.url,
                archived=None
                if pd.isna(s.archived_path)
                else f"{s.archived_path} (sha256 {str(s.sha256)[:16]}…)",
                grade=s.reliability_grade,
            )
        )
    return References(refs=entries, n_uncited=len(scope.sources) - len(entries))
