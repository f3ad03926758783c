"""Legal exposure: statutes and penalties per state, known prosecutions, Russia's incentives."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import figures
from ..scope import Scope, format_date
from ._common import (
    CASES_MAX,
    CLAIMS_PER_ITEM_MAX,
    PROVISIONS_MAX,
    Chart,
    claim_rows,
    country_name,
    with_claims,
)


def _penalty_text(row: Any) -> str:
    hi = f"{float(row.penalty_max_years):g}"
    years = (
        f"up to {hi} years"
        if pd.isna(row.penalty_min_years)
        else f"{float(row.penalty_min_years):g} to {hi} years"
    )
    return years if row.penalty_kind == "imprisonment" else f"{years} of correctional labour"


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
    prov["penalty_text"] = [_penalty_text(r) for r in prov.itertuples()]
    prov = prov.sort_values(["country", "text_status", "provision_id"]).reset_index(drop=True)
    missing = [c for c in scope.params.countries if c not in set(prov["country"])]
    cases = scope.cases.copy()
    cases["who"] = cases["person_id"].map(lambda p: scope.person_name(p) if pd.notna(p) else "")
    cases["when"] = [
        format_date(d, p) if pd.notna(d) else "date not reported"
        for d, p in zip(
            cases["opened_date"].tolist(), cases["opened_precision"].tolist(), strict=True
        )
    ]
    home_cases = cases[cases["jurisdiction"].isin(scope.params.countries)]
    russian_convictions = cases[cases["jurisdiction"] == "RU"]
    incentives = scope.figures[
        scope.figures["figure_category"].isin(["service_term", "pay"])
    ].copy()
    general_ids = [
        "cl_gv_mass_unlikely",
        "cl_or_similar_liability",
        "cl_or_fear_return",
        "cl_gv_sandwiched",
    ]
    general = claim_rows(scope, scope.claims[scope.claims["claim_id"].isin(general_ids)])
    measures = scope.events[scope.events["event_type"] == "central_asian_measure"]
    # one bar per distinct provision version, as many as the table lists
    chart_rows = (
        prov[["row_label", "penalty_min_years", "penalty_max_years", "text_status", "penalty_kind"]]
        .drop_duplicates()
        .head(PROVISIONS_MAX)
    )
    return {
        "provisions": with_claims(scope, prov.head(PROVISIONS_MAX), "provision_id"),
        "provisions_omitted": max(0, len(prov) - PROVISIONS_MAX),
        "missing_countries": [country_name(c) for c in missing],
        "n_countries_with_statute": int(prov["country"].nunique()),
        "home_cases": with_claims(scope, home_cases.head(CASES_MAX), "case_id"),
        "n_home_case_records": int(home_cases["case_count"].sum()) if not home_cases.empty else 0,
        "russian_convictions": with_claims(scope, russian_convictions.head(CASES_MAX), "case_id"),
        "cases_omitted": max(0, len(home_cases) - CASES_MAX)
        + max(0, len(russian_convictions) - CASES_MAX),
        "incentives": with_claims(scope, incentives.head(CLAIMS_PER_ITEM_MAX), "figure_id"),
        "general": general,
        "measures": measures.head(CLAIMS_PER_ITEM_MAX),
        "incentives_omitted": max(0, len(incentives) - CLAIMS_PER_ITEM_MAX),
        "measures_omitted": max(0, len(measures) - CLAIMS_PER_ITEM_MAX),
        "charts": [
            Chart(
                "penalty_ranges",
                not prov.empty,
                lambda n, r: figures.penalty_ranges(
                    chart_rows, [country_name(c) for c in missing], n, r
                ),
            ),
        ],
    }
