"""Sources and discrepancies: every source with its grade; every disagreement, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..scope import Scope, format_date
from ._common import DISCREPANCIES_MAX, SOURCES_MAX, SectionResult, capped, rows_of

GRADES = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
KIND_LABELS = {
    "disagreement": "Sources disagree",
    "error": "Cannot be right",
    "contested": "Contested by the parties",
    "naming_variant": "Naming variant",
    "outdated": "Out-of-date source",
    "imprecise": "Imprecise statement",
    "different_measures": "Different measures, not to be combined",
}


@dataclass(frozen=True)
class SourceRow:
    ref_number: int
    source_id: str
    publisher: str
    title: str
    date: str
    source_kind: str
    reliability_grade: str
    grade_label: str
    n_claims: int


@dataclass(frozen=True)
class Version:
    """One side of a discrepancy: what it says, who published it, and its words."""

    version: str
    claim_id: str
    source: str
    quote: str | None
    statement: str


@dataclass(frozen=True)
class Discrepancy:
    subject: str
    kind: str
    summary: str
    note: str
    versions: list[Version]
    claim_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class SourcesAndDiscrepancies(SectionResult):
    sources: tuple[SourceRow, ...]
    sources_omitted: int
    groups: list[Discrepancy]
    groups_total: int
    groups_omitted: int


def _version(scope: Scope, v: Any) -> Version:
    claim = scope.lookups.claim(v.claim_id)
    return Version(
        version=v.version,
        claim_id=v.claim_id,
        source=scope.lookups.publisher_name(v.source_id),
        quote=None if pd.isna(claim["quote"]) else str(claim["quote"]),
        statement=str(claim["statement"]),
    )


def analyse(scope: Scope) -> SourcesAndDiscrepancies:
    src, sources_omitted = capped(scope.sources, SOURCES_MAX)
    src = src.copy()  # only the rows listed are described
    src["publisher"] = src["publisher_org_id"].map(scope.lookups.org_name)
    src["date"] = [
        format_date(early)
        if early == late
        else (f"{format_date(early)} – {format_date(late)}" if pd.notna(early) else "undated")
        for early, late in zip(
            src["published_earliest"].tolist(), src["published_latest"].tolist(), strict=True
        )
    ]
    src["grade_label"] = src["reliability_grade"].map(GRADES)
    src["n_claims"] = (
        src["source_id"].map(scope.claims["source_id"].value_counts()).fillna(0).astype(int)
    )
    groups = []
    disc = scope.discrepancies
    first_ids, groups_omitted = capped(
        list(dict.fromkeys(disc["discrepancy_id"].tolist())), DISCREPANCIES_MAX
    )
    shown = scope.with_discrepancy_texts(disc[disc["discrepancy_id"].isin(first_ids)])
    for _did, g in shown.groupby("discrepancy_id", sort=False):
        first = g.iloc[0]
        groups.append(
            Discrepancy(
                subject=first["subject"],
                kind=KIND_LABELS[first["discrepancy_kind"]],
                summary=first["summary"],
                note=first["resolution_note"],
                versions=[_version(scope, v) for v in g.itertuples()],
                claim_ids=g["claim_id"].tolist(),
            )
        )
    return SourcesAndDiscrepancies(
        sources=rows_of(src, SourceRow),
        sources_omitted=sources_omitted,
        groups=groups,
        groups_total=len(groups) + groups_omitted,
        groups_omitted=groups_omitted,
    )
