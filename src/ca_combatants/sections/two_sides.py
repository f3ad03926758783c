"""The two sides: who fights for Russia and who for Ukraine, how they got there, why, in which units."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import figures
from ..dataset import isin
from ..scope import Scope
from ._common import (
    CLAIMS_PER_ITEM_MAX,
    NAMES_MAX,
    STATUS_LABELS,
    Chart,
    claim_rows,
    country_name,
    first_matching,
    side_name,
)

GENERAL_MOTIVE_CLAIMS = [
    "cl_or_motives",
    "cl_or_voluntary_benefits",
    "cl_gv_four_countries_both_sides",
    "cl_gv_more_on_russian_side",
]


def analyse(scope: Scope) -> dict[str, Any]:
    people = scope.combatants
    sides = ["russia", "ukraine"] if scope.params.side == "both" else [scope.params.side]
    tactic_names = scope.ds.tactics.set_index("tactic_id")["name"]
    te = scope.tactic_evidence
    columns = []
    for side in sides:
        group = people[people["side"] == side]
        paths = (
            te[isin(te["person_id"], group["person_id"])]["tactic_id"]
            .map(tactic_names)
            .value_counts()
        )
        motives, motives_omitted = first_matching(
            scope.claims,
            isin(scope.claims["speaker_person_id"], group["person_id"]),
            CLAIMS_PER_ITEM_MAX,
        )
        columns.append(
            {
                "side": side_name(side),
                "n": len(group),
                "countries": [
                    f"{country_name(c)} ({n})"
                    for c, n in group["country_of_origin"].value_counts().sort_index().items()
                ],
                "units": sorted(
                    {scope.org_name(u) for u in group["unit_org_id"].dropna().unique().tolist()}
                ),
                "paths": [f"{t} ({n})" for t, n in paths.items()],
                "people": [
                    {"name": scope.person_name(p), "person_id": p}
                    for p in group["person_id"][:NAMES_MAX]
                ],
                "people_omitted": max(0, len(group) - NAMES_MAX),
                "motives": claim_rows(scope, motives),
                "motives_omitted": motives_omitted,
            }
        )
    status = people.assign(
        status=people["status"].map(STATUS_LABELS), side=people["side"].map(side_name)
    )
    grid = pd.MultiIndex.from_product(
        [[side_name(s) for s in sides], sorted(status["status"].unique()) or ["unknown"]],
        names=["side", "status"],
    )
    status_counts = (
        status.groupby(["side", "status"])
        .size()
        .reindex(grid, fill_value=0)
        .rename("cases")
        .reset_index()
    )
    general = claim_rows(scope, scope.claims_listed(GENERAL_MOTIVE_CLAIMS))
    return {
        "columns": columns,
        "status_counts": status_counts,
        "general": general,
        "charts": [
            Chart(
                "sides_compared",
                int(status_counts["cases"].sum()) > 0,
                lambda n, r: figures.sides_compared(status_counts, n, r),
            )
        ],
    }
