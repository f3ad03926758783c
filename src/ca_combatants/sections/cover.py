"""Cover: title, scope, period, information-as-of date, data version."""

from __future__ import annotations

from dataclasses import dataclass

from ..scope import Scope, format_date
from ._common import SectionResult


@dataclass(frozen=True, kw_only=True)
class Cover(SectionResult):
    title: str
    scope_label: str
    period: str
    as_of: str
    as_of_is_default: bool
    data_version: str
    n_sources: int
    n_archived: int
    redacted: bool


def analyse(scope: Scope) -> Cover:
    p = scope.params
    if p.period_start or p.period_end:
        period = f"{format_date(str(p.period_start)) if p.period_start else 'the start of the record'} to {format_date(str(p.period_end)) if p.period_end else 'the as-of date'}"
    else:
        period = "all dates in the record"
    return Cover(
        title=p.title,
        scope_label=p.scope_label(),
        period=period,
        as_of=format_date(scope.as_of),
        as_of_is_default=p.as_of is None,
        data_version=scope.ds.version,
        n_sources=len(scope.sources),
        n_archived=int((scope.sources["source_kind"] == "archived_article").sum()),
        redacted=p.redact_private_persons,
    )
