"""Sources and discrepancies: every source with its grade; every disagreement, side by side."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..scope import Scope, format_date

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


def analyse(scope: Scope) -> dict[str, Any]:
    src = scope.sources.copy()
    src["publisher"] = src["publisher_org_id"].map(scope.org_name)
    src["date"] = [
        format_date(early)
        if early == late
        else (f"{format_date(early)} – {format_date(late)}" if pd.notna(early) else "undated")
        for early, late in zip(src["published_earliest"], src["published_latest"], strict=True)
    ]
    src["grade_label"] = src["reliability_grade"].map(GRADES)
    src["n_claims"] = (
        src["source_id"].map(scope.claims["source_id"].value_counts()).fillna(0).astype(int)
    )
    groups = []
    for _did, g in scope.discrepancies.groupby("discrepancy_id", sort=False):
        first = g.iloc[0]
        groups.append(
            {
                "subject": first["subject"],
                "kind": KIND_LABELS[first["discrepancy_kind"]],
                "summary": first["summary"],
                "note": first["resolution_note"],
                "versions": [
                    {
                        "version": v.version,
                        "claim_id": v.claim_id,
                        "source": scope.org_name(
                            scope.ds.sources.set_index("source_id").at[
                                v.source_id, "publisher_org_id"
                            ]
                        ),
                        "quote": None if pd.isna(v.quote) else v.quote,
                        "statement": v.statement,
                    }
                    for v in g.itertuples()
                ],
            }
        )
    return {"sources": src, "groups": groups, "grades": GRADES, "charts": []}
