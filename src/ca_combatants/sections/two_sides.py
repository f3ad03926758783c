"""The two sides: who fights for Russia and who for Ukraine, how they got there, why, in which units."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..dataset import isin
from ..scope import Scope
from ._common import (
    CASE_FILES_MAX,
    CLAIMS_PER_ITEM_MAX,
    NAMES_MAX,
    STATUS_LABELS,
    claim_rows,
    country_name,
    first_matching,
    in_sentence,
    side_name,
    told_before,
)

GENERAL_MOTIVE_CLAIMS = [
    "cl_or_motives",
    "cl_or_voluntary_benefits",
    "cl_gv_more_on_russian_side",
]


def _said(scope: Scope, group: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """What people on one side say (claims they speak), less what an earlier section told."""
    earlier = told_before(scope, "two_sides")
    mask = isin(scope.claims["speaker_person_id"], group["person_id"]) & ~isin(
        scope.claims["claim_id"], list(earlier)
    )
    return first_matching(scope.claims, mask, CLAIMS_PER_ITEM_MAX)


def _general(scope: Scope) -> list[str]:
    earlier = told_before(scope, "two_sides")
    listed = scope.claims_listed(GENERAL_MOTIVE_CLAIMS)["claim_id"].tolist()
    return [c for c in listed if c not in earlier]


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells (each fact once: the case files point here)."""
    people = scope.individuals
    ids = _said(scope, people)[0]["claim_id"].tolist()
    return ids + _general(scope)


def analyse(scope: Scope) -> dict[str, Any]:
    people = scope.individuals
    sides = ["russia", "ukraine"] if scope.params.side == "both" else [scope.params.side]
    tactic_names = scope.ds.tactics.set_index("tactic_id")["name"]
    te = scope.tactic_evidence
    case_number = {p: n for n, p in enumerate(people["person_id"].tolist(), 1)}
    columns = []
    for side in sides:
        group = people[people["side"] == side]
        shown_group = group[:NAMES_MAX]
        evidence = te[isin(te["person_id"], group["person_id"])]
        paths = evidence["tactic_id"].map(tactic_names).value_counts()
        motives, motives_omitted = _said(scope, group)
        person_claims = [
            ids[0] for ids in scope.claim_ids_for("person_id", shown_group["person_id"]) if ids
        ]
        # how those with no recruitment channel came, as the records describe it
        without = shown_group[~isin(shown_group["person_id"], evidence["person_id"])]
        came = [
            f"{scope.person_name(p)}: {str(role).split(';')[0].strip()}"
            for p, role in zip(without["person_id"].tolist(), without["role"].tolist(), strict=True)
            if isinstance(role, str) and role
        ]
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
                "n_with_path": int(evidence["person_id"].nunique()),
                "top_path": {"name": in_sentence(str(paths.index[0])), "n": int(paths.iloc[0])}
                if not paths.empty
                else None,
                "path_claim_ids": list(dict.fromkeys(evidence["claim_id"].tolist()))[
                    :CLAIMS_PER_ITEM_MAX
                ],
                "came": came if paths.empty else [],
                "person_claim_ids": person_claims,
                "people": [
                    {
                        "name": scope.person_name(p),
                        "anchor": f"case-{case_number[p]}"
                        if case_number[p] <= CASE_FILES_MAX
                        else None,
                    }
                    for p in shown_group["person_id"]
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
    general = claim_rows(scope, scope.claims_frame(_general(scope)))
    return {
        "columns": columns,
        "status_counts": status_counts,
        "general": general,
        "charts": [],  # the status counts are told in the scope section
    }
