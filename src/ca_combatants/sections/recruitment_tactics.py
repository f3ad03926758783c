"""Recruitment tactics: the taxonomy, which cases show which channel, and a timeline of measures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import figures
from ..scope import Scope, format_date
from ._common import (
    CLAIMS_PER_ITEM_MAX,
    EVENTS_MAX,
    TACTICS_MAX,
    Chart,
    capped,
    claim_rows,
    side_name,
    with_claims,
)

CATEGORY_LABELS = {
    "coercion": "Coercion",
    "alleged_abduction": "Alleged abduction",
    "inducement": "Inducements",
    "institutional_channel": "Institutional channels",
    "outreach": "Street and community outreach",
    "online": "Online recruiters",
    "private_military_company": "Private military companies",
    "prison": "Prisons",
}
SHORT_LABELS = {
    "ev_2022_09_20_sakharovo_centre": "Sakharovo centre",
    "ev_2022_09_20_duma_citizenship": "Duma: citizenship for 1 year",
    "ev_2022_09_21_mobilisation": "Mobilisation",
    "ev_2022_09_21_federation_council": "Federation Council",
    "ev_2022_11_conscription_decree": "Foreign conscripts decree",
    "ev_2023_04_04_sakharovo_second_wave": "Sakharovo 2nd wave",
}


def channel_counts(scope: Scope) -> pd.DataFrame:
    """Distinct individuals in scope whose case shows each tactic, by side."""
    te = scope.tactic_evidence.dropna(subset=["person_id"])
    merged = (
        te[["person_id", "tactic_id"]]
        .merge(scope.combatants[["person_id", "side"]], on="person_id")
        .merge(scope.ds.tactics[["tactic_id", "name", "tactic_category"]], on="tactic_id")
    )
    counts = (
        merged.groupby(["name", "tactic_category", "side"])["person_id"]
        .nunique()
        .rename("cases")
        .reset_index()
    )
    counts = counts.rename(columns={"name": "tactic", "tactic_category": "category"})
    counts["side"] = counts["side"].map(side_name)
    return counts


def analyse(scope: Scope) -> dict[str, Any]:
    te = scope.tactic_evidence  # only evidence whose claim is visible
    tactics, tactics_omitted = capped(scope.ds.tactics, TACTICS_MAX)
    in_scope = set(scope.combatants["person_id"].tolist())
    shown_evidence = te[te["tactic_id"].isin(list(tactics["tactic_id"]))]
    evidence = dict(tuple(shown_evidence.groupby("tactic_id", sort=False)))
    found = []
    for t in tactics.itertuples():
        ev = evidence.get(t.tactic_id, te.iloc[0:0])
        claim_ids = list(dict.fromkeys(ev["claim_id"].tolist()))
        persons = [p for p in ev["person_id"].dropna().unique() if p in in_scope]
        found.append((t, claim_ids, persons))
    shown_claims = scope.claims_frames(
        [claim_ids[:CLAIMS_PER_ITEM_MAX] for _, claim_ids, _ in found]
    )
    rows = []
    for (t, claim_ids, persons), claims in zip(found, shown_claims, strict=True):
        rows.append(
            {
                "tactic_id": t.tactic_id,
                "name": t.name,
                "category": CATEGORY_LABELS[t.tactic_category],
                "description": t.description,
                "n_reports": len(claim_ids),
                "n_cases": len(persons),
                "persons": persons,
                "claims": claim_rows(scope, claims),
                "claims_omitted": max(0, len(claim_ids) - CLAIMS_PER_ITEM_MAX),
            }
        )
    by_category: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["n_reports"]:
            by_category.setdefault(row["category"], []).append(row)
    events = scope.events
    # the chart needs only these columns: a copy of every column would be large on a large dataset
    charted = events[["event_id", "event_date_start", "event_type", "date_basis"]].assign(
        short_label=events["event_id"].map(SHORT_LABELS).fillna(events["title"])
    )
    counts = channel_counts(scope)
    events_shown, events_omitted = capped(events, EVENTS_MAX)
    events_shown = with_claims(scope, events_shown, "event_id")
    events_shown["when"] = [
        format_date(d, p)
        for d, p in zip(
            events_shown["event_date"].tolist(),
            events_shown["date_precision"].tolist(),
            strict=True,
        )
    ]
    contested = scope.discrepancies[scope.discrepancies["discrepancy_kind"] == "contested"]
    contested_ids, contested_omitted = capped(
        list(dict.fromkeys(contested["discrepancy_id"].tolist())), CLAIMS_PER_ITEM_MAX
    )
    return {
        "taxonomy": rows,
        "tactics_omitted": tactics_omitted,
        "by_category": by_category,
        "n_tactics_reported": sum(1 for r in rows if r["n_reports"]),
        "n_measures": int((events["event_type"] == "russian_measure").sum()),
        "events": events,
        "events_shown": events_shown,
        "events_omitted": events_omitted,
        "channel_counts": counts,
        "contested": scope.with_discrepancy_texts(
            contested[contested["discrepancy_id"].isin(contested_ids)]
        ),
        "contested_omitted": contested_omitted,
        "charts": [  # in the order the template shows them
            Chart(
                "channels_by_case",
                bool((counts["cases"] > 0).any()) if not counts.empty else False,
                lambda n, r: figures.channels_by_case(counts, n, r),
            ),
            Chart("timeline", not events.empty, lambda n, r: figures.timeline(charted, n, r)),
        ],
    }
