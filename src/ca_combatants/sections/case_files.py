"""Case files: one short, cited profile per person in scope."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..dataset import isin
from ..scope import Scope
from ._common import CASE_FILES_MAX, STATUS_LABELS, capped, claim_rows, country_name, side_name


def analyse(scope: Scope) -> dict[str, Any]:
    disc = scope.discrepancies
    files = []
    shown, omitted = capped(scope.combatants, CASE_FILES_MAX)
    shown_ids = shown["person_id"]
    about = scope.claim_ids_for("person_id", shown_ids)
    said = scope.claim_ids_for("speaker_person_id", shown_ids)
    claim_ids = [list(dict.fromkeys(a + s)) for a, s in zip(about, said, strict=True)]
    shown_disc = disc[isin(disc["claim_id"], [c for ids in claim_ids for c in ids])]
    subjects: dict[str, list[str]] = {}
    for claim_id, subject in zip(
        shown_disc["claim_id"].tolist(), shown_disc["subject"].tolist(), strict=True
    ):
        subjects.setdefault(claim_id, []).append(subject)
    claims_of = scope.claims_frames(claim_ids)
    for n, (p, ids, claims) in enumerate(
        zip(shown.itertuples(), claim_ids, claims_of, strict=True), 1
    ):
        disputed = list(dict.fromkeys(s for c in ids for s in subjects.get(c, [])))
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
                "unit": scope.org_name(p.unit_org_id) or "not stated",
                "role": None if pd.isna(p.role) else p.role,
                "notes": None if pd.isna(p.notes) else p.notes,
                "public": bool(p.is_public_figure),
                "claims": claim_rows(scope, claims),
                "disputed": disputed,
            }
        )
    return {"files": files, "omitted": omitted, "charts": []}
