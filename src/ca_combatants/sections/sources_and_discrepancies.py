"""Sources and discrepancies: every source with its grade; every disagreement, side by side."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..scope import Scope, format_date
from . import ANNEXES
from ._common import DISCREPANCIES_MAX, SOURCES_MAX, capped

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


def _version(scope: Scope, v: Any) -> dict[str, Any]:
    """One side of a discrepancy: what it says, who published it, and its words."""
    claim = scope.claim(v.claim_id)
    return {
        "version": v.version,
        "claim_id": v.claim_id,
        "source": scope.publisher_name(v.source_id),
        "quote": None if pd.isna(claim["quote"]) else claim["quote"],
        "statement": claim["statement"],
    }


def analyse(scope: Scope) -> dict[str, Any]:
    src, sources_omitted = capped(scope.sources, SOURCES_MAX)
    src = src.copy()  # only the rows listed are described
    src["publisher"] = src["publisher_org_id"].map(scope.org_name)
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
            {
                "subject": first["subject"],
                "kind": KIND_LABELS[first["discrepancy_kind"]],
                "summary": first["summary"],
                "note": first["resolution_note"],
                "versions": [_version(scope, v) for v in g.itertuples()],
                "claim_ids": g["claim_id"].tolist(),
            }
        )
    return {
        "annex": ANNEXES["sources_and_discrepancies"],
        "sources": src,
        "sources_omitted": sources_omitted,
        "groups": groups,
        "groups_total": len(groups) + groups_omitted,
        "groups_omitted": groups_omitted,
        "grades": GRADES,
        "charts": [],
    }
