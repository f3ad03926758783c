"""Helpers the analyses share: which person records are one individual, and which legal cases
a scope may use."""

from __future__ import annotations

import pandas as pd

from .dataset import Dataset, isin
from .scope import Scope


def same_case_groups(ds: Dataset, person_ids: list[str]) -> dict[str, str]:
    """Each person record mapped to the record that stands for its individual: records that the
    identity links call one case (`same_case`) are one individual, counted once. Records that are
    only possibly one person (`possibly_same`) stay apart, as the scope counts them."""
    parent = {p: p for p in person_ids}

    def root(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    links = ds.tables.get("person_identity_links")
    if links is not None and len(links):
        same = links[links["relation"] == "same_case"]
        for a, b in zip(same["person_id"].tolist(), same["other_person_id"].tolist(), strict=True):
            if a in parent and b in parent:
                ra, rb = root(a), root(b)
                if ra != rb:  # the second record of a link stands for both, as in the scope
                    parent[ra] = rb
    return {p: root(p) for p in person_ids}


def possibly_same_pairs(ds: Dataset) -> set[frozenset[str]]:
    links = ds.tables.get("person_identity_links")
    if links is None or not len(links):
        return set()
    maybe = links[links["relation"] == "possibly_same"]
    return {
        frozenset((str(a), str(b)))
        for a, b in zip(maybe["person_id"].tolist(), maybe["other_person_id"].tolist(), strict=True)
    }


def cases_in_scope(scope: Scope) -> pd.DataFrame:
    """Legal cases a visible claim supports, about a combatant in scope (or a record that the
    identity links call the same case as one), or about no one person in a selected state.

    Unlike `Scope.cases`, a case stays when a visible claim supports it through a linked record
    before the case's own person record is visible (the Moscow Times reported the Kyrgyz verdict
    of May 2023 three months before Jamestown named the man)."""
    c = scope.ds.legal_cases
    visible = isin(c["case_id"], scope.claims["case_id"])
    in_scope = set(scope.combatants["person_id"].tolist())
    links = scope.ds.tables.get("person_identity_links")
    if links is not None and len(links):
        same = links[links["relation"] == "same_case"]
        for a, b in zip(same["person_id"].tolist(), same["other_person_id"].tolist(), strict=True):
            if a in in_scope or b in in_scope:
                in_scope |= {str(a), str(b)}
    relevant = isin(c["person_id"], sorted(in_scope)) | (
        c["person_id"].isna() & c["jurisdiction"].isin(scope.params.countries)
    )
    return c[visible & relevant].reset_index(drop=True)
