"""Key judgments: analyst-authored, in ICD 203 estimative language, each tied to its claims."""

from __future__ import annotations

from typing import Any

from ..scope import Scope
from ._common import JUDGMENTS_MAX, capped

TERMS = {
    "almost_no_chance": "Almost no chance",
    "very_unlikely": "Very unlikely",
    "unlikely": "Unlikely",
    "roughly_even_chance": "Roughly even chance",
    "likely": "Likely",
    "very_likely": "Very likely",
    "almost_certain": "Almost certain",
}


def analyse(scope: Scope) -> dict[str, Any]:
    shown, withheld = scope.judgments
    jc = scope.ds.judgment_claims
    items = []
    listed, omitted = capped(shown, JUDGMENTS_MAX)
    claims_of = (
        jc[jc["judgment_id"].isin(listed["judgment_id"])]
        .groupby("judgment_id")["claim_id"]
        .agg(list)
        .to_dict()
    )
    for j in listed.itertuples():
        claim_ids = claims_of.get(j.judgment_id, [])
        sources = scope.claims_frame(claim_ids)["source_id"].nunique()  # shown: all visible
        items.append(
            {
                "term": TERMS[j.estimative_term],
                "confidence": j.confidence,
                "text": j.judgment,
                "rationale": j.rationale,
                "claim_ids": claim_ids,
                "n_sources": sources,
            }
        )
    return {
        "items": items,
        "omitted": omitted,
        "withheld": withheld,
        "terms": list(TERMS.values()),
        "charts": [],
    }
