"""Methodology and limitations, with the data dictionary read from the descriptor."""

from __future__ import annotations

import json
from typing import Any

from ..params import COUNTRY_NAMES
from ..scope import Scope
from . import ANNEXES

CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


def analyse(scope: Scope) -> dict[str, Any]:
    descriptor = json.loads((scope.ds.data_dir / "datapackage.json").read_text(encoding="utf-8"))
    dictionary = [
        {
            "name": r["name"],
            "title": r.get("title", r["name"]),
            "description": r.get("description", ""),
            "n_rows": len(scope.ds.tables[r["name"]]),
            "fields": ", ".join(f["name"] for f in r["schema"]["fields"]),
        }
        for r in descriptor["resources"]
        if "schema" in r  # the tables: the archived texts the package also lists are files
    ]
    cred = scope.claims["information_credibility"].value_counts().sort_index()
    with_statute = set(scope.ds.legal_provisions["country"].tolist())
    sources = scope.sources
    archived = sources[sources["source_kind"] == "archived_article"]
    return {
        "annex": ANNEXES["methodology"],
        "n_archived": len(archived),
        "n_web": len(sources) - len(archived),
        "no_statute": [name for code, name in COUNTRY_NAMES.items() if code not in with_statute],
        "dictionary": dictionary,
        "credibility": [
            {"grade": int(g), "label": CREDIBILITY[int(g)], "n": int(n)} for g, n in cred.items()
        ],
        "n_claims": len(scope.claims),
        "n_quoted": int(scope.claims["quote"].notna().sum()),
        "n_second_hand": int(scope.claims["first_reported_by_org_id"].notna().sum()),
        "n_inferred_side": int((scope.combatants["side_basis"] == "inferred").sum()),
        "redacted": scope.params.redact_private_persons,
        "charts": [],
    }
