"""Legal exposure: statutes and penalties per state, known prosecutions, Russia's incentives."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..scope import Scope, format_date
from ._common import (
    CASES_MAX,
    CLAIMS_PER_ITEM_MAX,
    PROVISIONS_MAX,
    capped,
    claim_rows,
    country_name,
    told_before,
    with_claims,
)

# What the articles say of the law in general, told here (an editorial choice)
GENERAL_CLAIMS = [
    "cl_gv_mass_unlikely",
    "cl_or_similar_liability",
    "cl_or_fear_return",
    "cl_gv_sandwiched",
    "cl_or_commissioner_50",
]
CASE_TYPES = {
    "criminal_case": "criminal case",
    "conviction": "conviction",
    "extradition": "extradition",
}


def _general(scope: Scope) -> list[str]:
    earlier = told_before(scope, "legal_exposure")
    return [c for c in scope.claims_listed(GENERAL_CLAIMS)["claim_id"].tolist() if c not in earlier]


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells (each fact once: later sections point here)."""
    measures = scope.events[scope.events["event_type"] == "central_asian_measure"]
    ids = _general(scope)
    ids += [c for g in scope.claim_ids_for("event_id", measures["event_id"]) for c in g]
    return ids


def _years(value: Any, words: bool) -> str:
    number = f"{float(value):g}"
    small = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    return small[int(number)] if words and number.isdigit() and 0 < int(number) < 10 else number


def _penalty_text(low: Any, high: Any, kind: str, words: bool = False) -> str:
    """'5 to 9 years' (in tables) or 'five to nine years' (in prose)."""
    hi = _years(high, words)
    years = f"up to {hi} years" if pd.isna(low) else f"{_years(low, words)} to {hi} years"
    return years if kind == "imprisonment" else f"{years} of correctional labour"


def _shown_cases(scope: Scope, cases: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The cases a table lists, with who, when and the claims about each; and how many more."""
    shown, omitted = capped(cases, CASES_MAX)
    shown = with_claims(scope, shown, "case_id")
    shown["who"] = [
        scope.person_name(p) if pd.notna(p) else "" for p in shown["person_id"].tolist()
    ]
    shown["state"] = shown["jurisdiction"].map(lambda c: "Russia" if c == "RU" else country_name(c))
    shown["what"] = shown["case_type"].map(lambda t: CASE_TYPES.get(t, str(t).replace("_", " ")))
    shown["when"] = [
        format_date(d, p) if pd.notna(d) else "date not reported"
        for d, p in zip(
            shown["opened_date"].tolist(), shown["opened_precision"].tolist(), strict=True
        )
    ]
    return shown, omitted


def analyse(scope: Scope) -> dict[str, Any]:
    prov = scope.provisions.copy().astype(
        {"article": "string", "offence": "string", "country": "string"}
    )
    prov["country_name"] = prov["country"].map(country_name)
    prov["article_label"] = prov["article"].map(
        lambda a: f"art. {a}" if pd.notna(a) else "article not named"
    )
    detail = [
        " (recruiting)"
        if o.startswith("Recruiting")
        else (" (fine or labour)" if k != "imprisonment" else "")
        for o, k in zip(prov["offence"].tolist(), prov["penalty_kind"].tolist(), strict=True)
    ]
    prov["row_label"] = [
        f"{c} {a}{d}{' (2001 text)' if t == 'superseded' else ''}"
        for c, a, d, t in zip(
            prov["country"].tolist(),
            prov["article_label"].tolist(),
            detail,
            prov["text_status"].tolist(),
            strict=True,
        )
    ]
    prov["penalty_text"] = [
        _penalty_text(low, high, kind)
        for low, high, kind in zip(
            prov["penalty_min_years"].tolist(),
            prov["penalty_max_years"].tolist(),
            prov["penalty_kind"].tolist(),
            strict=True,
        )
    ]
    prov = prov.sort_values(["country", "text_status", "provision_id"]).reset_index(drop=True)
    missing = [c for c in scope.params.countries if c not in set(prov["country"].tolist())]
    cases = scope.cases
    home_cases = cases[cases["jurisdiction"].isin(scope.params.countries)]
    russian_convictions = cases[cases["jurisdiction"] == "RU"]
    incentives = scope.figures[
        scope.figures["figure_category"].isin(["service_term", "pay"])
    ].copy()
    general = claim_rows(scope, scope.claims_frame(_general(scope)))
    current = prov[prov["text_status"] != "superseded"]
    prison = current[current["penalty_kind"] == "imprisonment"]
    lighter = current[current["penalty_kind"] != "imprisonment"]
    heaviest = (
        prison.loc[prison["penalty_max_years"].astype(float).idxmax()] if not prison.empty else None
    )
    measures = scope.events[scope.events["event_type"] == "central_asian_measure"]
    provisions, provisions_omitted = capped(prov, PROVISIONS_MAX)
    home_shown, home_omitted = _shown_cases(scope, home_cases)
    russian_shown, russian_omitted = _shown_cases(scope, russian_convictions)
    # a figure told with a recruitment channel is not told again
    earlier = told_before(scope, "legal_exposure")
    incentive_claims = scope.claim_ids_for("figure_id", incentives["figure_id"])
    fresh = [not set(ids) <= earlier for ids in incentive_claims]
    n_told_before = len(fresh) - sum(fresh)
    incentives = incentives[pd.Series(fresh, index=incentives.index, dtype=bool)]
    incentives_shown, incentives_omitted = capped(incentives, CLAIMS_PER_ITEM_MAX)
    measures_shown, measures_omitted = capped(measures, CLAIMS_PER_ITEM_MAX)
    measures_shown = with_claims(scope, measures_shown, "event_id")
    return {
        "provisions": with_claims(scope, provisions, "provision_id"),
        "provisions_omitted": provisions_omitted,
        "missing_countries": [country_name(c) for c in missing],
        "n_countries_with_statute": int(prov["country"].nunique()),
        "n_countries_selected": len(scope.params.countries),
        "countries_label": ", ".join(country_name(c) for c in scope.params.countries),
        "heaviest": None
        if heaviest is None
        else {
            "text": _penalty_text(
                heaviest["penalty_min_years"],
                heaviest["penalty_max_years"],
                heaviest["penalty_kind"],
                words=True,
            ),
            "where": f"{heaviest['country_name']}, {heaviest['article_label']}",
            "offence": heaviest["offence"],
            "claim_ids": scope.claims_about("provision_id", str(heaviest["provision_id"])),
        },
        "lighter": [
            {
                "text": _penalty_text(
                    r.penalty_min_years, r.penalty_max_years, r.penalty_kind, words=True
                )
                + (
                    f" or a {r.additional_penalties}"
                    if isinstance(r.additional_penalties, str)
                    else ""
                ),
                "where": f"{r.country_name}, {r.article_label}",
                "offence": r.offence,
                "claim_ids": scope.claims_about("provision_id", str(r.provision_id)),
            }
            for r in lighter.itertuples()
        ],
        "n_home_cases_people": int(home_cases["person_id"].notna().sum()),
        "n_convictions_home": int((home_cases["case_type"] == "conviction").sum()),
        "home_cases": home_shown,
        # rows, not a sum of their counts: counts from different counters and years never add up
        "n_home_case_records": len(home_cases),
        "russian_convictions": russian_shown,
        "cases_omitted": home_omitted + russian_omitted,
        "incentives": with_claims(scope, incentives_shown, "figure_id"),
        "general": general,
        "measures": measures_shown,
        "incentives_omitted": incentives_omitted,
        "n_incentives_told_before": n_told_before,
        "measures_omitted": measures_omitted,
        "charts": [],  # Table 4 gives the ranges; a chart of them cost half a page
    }
