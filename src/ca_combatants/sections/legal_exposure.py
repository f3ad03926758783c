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
    capped,
    claim_rows,
    country_name,
    with_claims,
)


def _penalty_text(low: Any, high: Any, kind: str) -> str:
    hi = f"{float(high):g}"
    years = f"up to {hi} years" if pd.isna(low) else f"{float(low):g} to {hi} years"
    return years if kind == "imprisonment" else f"{years} of correctional labour"


def _shown_cases(scope: Scope, cases: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The cases a table lists, with who, when and the claims about each; and how many more."""
    shown, omitted = capped(cases, CASES_MAX)
    shown = with_claims(scope, shown, "case_id")
    shown["who"] = [
        scope.person_name(p) if pd.notna(p) else "" for p in shown["person_id"].tolist()
    ]
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
    general_ids = [
        "cl_gv_mass_unlikely",
        "cl_or_similar_liability",
        "cl_or_fear_return",
        "cl_gv_sandwiched",
    ]
    general = claim_rows(scope, scope.claims_listed(general_ids))
    measures = scope.events[scope.events["event_type"] == "central_asian_measure"]
    # one bar per distinct provision version, as many as the table lists
    chart_rows = (
        prov[["row_label", "penalty_min_years", "penalty_max_years", "text_status", "penalty_kind"]]
        .drop_duplicates()
        .head(PROVISIONS_MAX)
    )
    provisions, provisions_omitted = capped(prov, PROVISIONS_MAX)
    home_shown, home_omitted = _shown_cases(scope, home_cases)
    russian_shown, russian_omitted = _shown_cases(scope, russian_convictions)
    incentives_shown, incentives_omitted = capped(incentives, CLAIMS_PER_ITEM_MAX)
    measures_shown, measures_omitted = capped(measures, CLAIMS_PER_ITEM_MAX)
    return {
        "provisions": with_claims(scope, provisions, "provision_id"),
        "provisions_omitted": provisions_omitted,
        "missing_countries": [country_name(c) for c in missing],
        "n_countries_with_statute": int(prov["country"].nunique()),
        "home_cases": home_shown,
        "n_home_case_records": int(home_cases["case_count"].sum()) if not home_cases.empty else 0,
        "russian_convictions": russian_shown,
        "cases_omitted": home_omitted + russian_omitted,
        "incentives": with_claims(scope, incentives_shown, "figure_id"),
        "general": general,
        "measures": measures_shown,
        "incentives_omitted": incentives_omitted,
        "measures_omitted": measures_omitted,
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
