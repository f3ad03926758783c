"""Sources and discrepancies: every source with its grade; every disagreement, side by side."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..dataset import records
from ..scope import Scope
from ._common import DISCREPANCIES_MAX, SOURCES_MAX, SectionResult, capped, rows_of
from .references import published

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
class Said:
    """A sentence of the analysts' summary or note; one an earlier discrepancy already gives is
    a pointer to it instead (`see`: that discrepancy's anchor and subject)."""

    text: str
    see_anchor: str | None = None
    see_subject: str | None = None


@dataclass(frozen=True)
class Discrepancy:
    anchor: str
    subject: str
    kind: str
    summary: list[Said]
    note: list[Said]
    versions: list[Version]
    claim_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class SourcesAndDiscrepancies(SectionResult):
    sources: tuple[SourceRow, ...]
    sources_omitted: int
    groups: list[Discrepancy]
    groups_total: int
    groups_omitted: int


def _version(scope: Scope, v: dict[str, Any]) -> Version:
    claim = scope.lookups.claim(v["claim_id"])
    return Version(
        version=v["version"],
        claim_id=v["claim_id"],
        source=scope.lookups.publisher_name(v["source_id"]),
        quote=None if pd.isna(claim["quote"]) else str(claim["quote"]),
        statement=str(claim["statement"]),
    )


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])")
_SOURCE_PREFIX = re.compile(r"^([^:.]{2,40}): ")  # "Global Voices: …", the version's source
REPEAT_WORDS = 8  # a sentence this long, told twice, is told once and pointed to


def _told_once(text: Any, told: dict[str, tuple[str, str]], here: tuple[str, str]) -> list[Said]:
    """The sentences of an analysts' text; one an earlier discrepancy gives word for word points
    there ("Global Voices: as under “What Baurzhan Urazov is doing”, above")."""
    if not isinstance(text, str) or not text.strip():
        return []
    said = []
    for sentence in _SENTENCE_END.split(text.strip()):
        key = " ".join(sentence.lower().split())
        if len(key.split()) >= REPEAT_WORDS and key in told:
            anchor, subject = told[key]
            prefix = _SOURCE_PREFIX.match(sentence)
            lead = f"{prefix[1]}: as under" if prefix else "As under"
            said.append(Said(lead, anchor, subject))
        else:
            told.setdefault(key, here)
            said.append(Said(sentence))
    return said


def analyse(scope: Scope) -> SourcesAndDiscrepancies:
    src, sources_omitted = capped(scope.sources, SOURCES_MAX)
    src = src.copy()  # only the rows listed are described
    src["publisher"] = src["publisher_org_id"].map(scope.lookups.org_name)
    src["date"] = [
        published(early, late)
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
    versions_of: dict[str, list[dict[str, Any]]] = {}  # a discrepancy's versions, in order
    for version in records(shown):
        versions_of.setdefault(str(version["discrepancy_id"]), []).append(version)
    told: dict[str, tuple[str, str]] = {}  # a sentence -> the discrepancy that gives it first
    # anchors by number: an id may hold a name that a redacted brief must not show
    for n, versions in enumerate(versions_of.values(), 1):
        first = versions[0]
        here = (f"discrepancy-{n}", str(first["subject"]))
        groups.append(
            Discrepancy(
                anchor=here[0],
                subject=first["subject"],
                kind=KIND_LABELS[first["discrepancy_kind"]],
                summary=_told_once(first["summary"], told, here),
                note=_told_once(first["resolution_note"], told, here),
                versions=[_version(scope, v) for v in versions],
                claim_ids=[v["claim_id"] for v in versions],
            )
        )
    return SourcesAndDiscrepancies(
        sources=rows_of(src, SourceRow),
        sources_omitted=sources_omitted,
        groups=groups,
        groups_total=len(groups) + groups_omitted,
        groups_omitted=groups_omitted,
    )
