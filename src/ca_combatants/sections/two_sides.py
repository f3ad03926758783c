"""The two sides: who fights for Russia and who for Ukraine, how they got there, why, in which units."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import editorial
from ..dataset import isin
from ..scope import Scope
from ._common import (
    CLAIMS_PER_ITEM_MAX,
    NAMES_MAX,
    ClaimRow,
    SectionResult,
    claim_rows,
    country_name,
    first_matching,
    in_sentence,
    side_name,
    told_before,
)


@dataclass(frozen=True)
class TopPath:
    name: str
    n: int


@dataclass(frozen=True)
class SideColumn:
    """One side, as the table and the lead compare it."""

    side: str  # "Russia"
    n: int
    countries: list[str]  # "Kazakhstan (3)"
    units: list[str]
    paths: list[str]  # "Fast-track citizenship (2)"
    n_with_path: int
    top_path: TopPath | None
    path_claim_ids: list[str]
    came: list[str]  # how those with no recruitment channel came
    person_claim_ids: list[str]
    motives: list[ClaimRow]  # what people on this side say
    motives_omitted: int


@dataclass(frozen=True, kw_only=True)
class TwoSides(SectionResult):
    columns: list[SideColumn]
    general: list[ClaimRow]  # how the articles read the two sides


def _said(scope: Scope, group: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """What people on one side say (claims they speak), less what an earlier section told."""
    earlier = told_before(scope, "two_sides")
    mask = isin(scope.claims["speaker_person_id"], group["person_id"]) & ~isin(
        scope.claims["claim_id"], list(earlier)
    )
    return first_matching(scope.claims, mask, CLAIMS_PER_ITEM_MAX)


def _general(scope: Scope) -> list[str]:
    earlier = told_before(scope, "two_sides")
    listed = scope.lookups.claims_listed(editorial.featured(scope.ds, "two_sides"))[
        "claim_id"
    ].tolist()
    return [c for c in listed if c not in earlier]


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells (each fact once: the case files point here)."""
    people = scope.individuals
    ids = _said(scope, people)[0]["claim_id"].tolist()
    return ids + _general(scope)


def analyse(scope: Scope) -> TwoSides:
    people = scope.individuals
    sides = ["russia", "ukraine"] if scope.params.side == "both" else [scope.params.side]
    tactic_names = scope.ds.tactics.set_index("tactic_id")["name"]
    te = scope.tactic_evidence
    columns = []
    for side in sides:
        group = people[people["side"] == side]
        shown_group = group[:NAMES_MAX]
        evidence = te[isin(te["person_id"], group["person_id"])]
        paths = evidence["tactic_id"].map(tactic_names).value_counts()
        motives, motives_omitted = _said(scope, group)
        person_claims = [
            ids[0]
            for ids in scope.lookups.claim_ids_for("person_id", shown_group["person_id"])
            if ids
        ]
        # how those with no recruitment channel came, as the records describe it
        without = shown_group[~isin(shown_group["person_id"], evidence["person_id"])]
        came = [
            f"{scope.person_name(p)}: {str(role).split(';')[0].strip()}"
            for p, role in zip(without["person_id"].tolist(), without["role"].tolist(), strict=True)
            if isinstance(role, str) and role
        ]
        columns.append(
            SideColumn(
                side=side_name(side),
                n=len(group),
                countries=[
                    f"{country_name(c)} ({n})"
                    for c, n in group["country_of_origin"].value_counts().sort_index().items()
                ],
                units=sorted(
                    {
                        scope.lookups.org_name(u)
                        for u in group["unit_org_id"].dropna().unique().tolist()
                    }
                ),
                paths=[f"{t} ({n})" for t, n in paths.items()],
                n_with_path=int(evidence["person_id"].nunique()),
                top_path=TopPath(in_sentence(str(paths.index[0])), int(paths.iloc[0]))
                if not paths.empty
                else None,
                path_claim_ids=list(dict.fromkeys(evidence["claim_id"].tolist()))[
                    :CLAIMS_PER_ITEM_MAX
                ],
                came=came if paths.empty else [],
                person_claim_ids=person_claims,
                motives=claim_rows(scope, motives),
                motives_omitted=motives_omitted,
            )
        )
    general = claim_rows(scope, scope.lookups.claims_frame(_general(scope)))
    return TwoSides(columns=columns, general=general)
