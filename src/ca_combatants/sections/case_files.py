"""Case files: one short, cited profile per person in scope."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..scope import Scope
from ._common import CASE_FILES_MAX, STATUS_LABELS, capped, claim_rows, country_name, side_name


def analyse(scope: Scope) -> dict[str, Any]:
    orgs = scope.ds.organisations.set_index("org_id")["name"]
    disc = scope.discrepancies
    files = []
    shown, omitted = capped(scope.combatants, CASE_FILES_MAX)
    by_person, by_speaker = scope.claims_by("person_id"), scope.claims_by("speaker_person_id")
    for n, p in enumerate(shown.itertuples(), 1):
        ids = list(dict.fromkeys(by_person.get(p.person_id, []) + by_speaker.get(p.person_id, [])))
        claims = scope.claims_frame(ids)
        disputed = disc[disc["claim_id"].isin(claims["claim_id"])]["subject"].unique().tolist()
        citizenships = (
            [country_name(c) for c in str(p.citizenships).split(";")]
            if pd.notna(p.citizenships)
            else []
        )
        files.append(
            {
                "anchor": f"case-{n}",
                "name": scope.person_name(p.person_id),
                "label": p.label,
                "origin": country_name(p.country_of_origin),
                "citizenships": ", ".join(citizenships) or "not stated",
                "side": side_name(p.side)
                + (" (inferred from context)" if p.side_basis == "inferred" else ""),
                "status": STATUS_LABELS.get(p.status, p.status),
                "unit": str(orgs[p.unit_org_id]) if pd.notna(p.unit_org_id) else "not stated",
                "role": None if pd.isna(p.role) else p.role,
                "notes": None if pd.isna(p.notes) else p.notes,
                "public": bool(p.is_public_figure),
                "claims": claim_rows(scope, claims),
                "disputed": disputed,
            }
        )
    return {"files": files, "omitted": omitted, "charts": []}
