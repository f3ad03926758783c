"""Legal exposure: statutes and penalties per state, known prosecutions, Russia's incentives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import editorial
from ..scope import Scope, format_date
from ._common import (
    CASES_MAX,
    CLAIMS_PER_ITEM_MAX,
    PROVISIONS_MAX,
    ClaimRow,
    SectionResult,
    capped,
    claim_rows,
    country_name,
    rows_of,
    told_before,
    with_claims,
)

CASE_TYPES = {
    "criminal_case": "criminal case",
    "conviction": "conviction",
    "extradition": "extradition",
}


@dataclass(frozen=True)
class Provision:
    country_name: str
    code: str
    article_label: str  # "art. 172" or "article not named"
    text_status: str
    offence: str
    penalty_text: str
    additional_penalties: Any
    claim_ids: list[str]


@dataclass(frozen=True)
class Case:
    state: str
    who: str
    case_count: Any
    what: str
    charge: str
    sentence_years: Any
    when: str
    outcome: str
    notes: Any
    claim_ids: list[str]


@dataclass(frozen=True)
class Incentive:
    measure: str
    value_text: str
    notes: Any
    claim_ids: list[str]


@dataclass(frozen=True)
class Measure:
    event_date: Any
    date_precision: str
    title: str
    description: Any
    claim_ids: list[str]


@dataclass(frozen=True)
class Penalty:
    """A penalty as the lead tells it: 'five to nine years', where, for what."""

    text: str
    where: str
    offence: str
    claim_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class LegalExposure(SectionResult):
    provisions: tuple[Provision, ...]
    provisions_omitted: int
    missing_countries: list[str]
    n_countries_with_statute: int
    n_countries_selected: int
    countries_label: str
    heaviest: Penalty | None
    lighter: list[Penalty]
    lighter_claim_ids: list[str]
    home_cases: tuple[Case, ...]
    home_claim_ids: list[str]
    # rows, not a sum of their counts: counts from different counters and years never add up
    n_home_case_records: int
    russian_convictions: tuple[Case, ...]
    cases_omitted: int
    incentives: tuple[Incentive, ...]
    incentives_omitted: int
    n_incentives_told_before: int
    general: list[ClaimRow]
    measures: tuple[Measure, ...]
    measures_omitted: int


def _general(scope: Scope) -> list[str]:
    earlier = told_before(scope, "legal_exposure")
    return [
        c
        for c in scope.lookups.claims_listed(editorial.featured(scope.ds, "legal_exposure"))[
            "claim_id"
        ].tolist()
        if c not in earlier
    ]


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells (each fact once: later sections point here)."""
    measures = scope.events[scope.events["event_type"] == "central_asian_measure"]
    ids = _general(scope)
    ids += [c for g in scope.lookups.claim_ids_for("event_id", measures["event_id"]) for c in g]
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


def analyse(scope: Scope) -> LegalExposure:
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
    general = claim_rows(scope, scope.lookups.claims_frame(_general(scope)))
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
    incentive_claims = scope.lookups.claim_ids_for("figure_id", incentives["figure_id"])
    fresh = [not set(ids) <= earlier for ids in incentive_claims]
    n_told_before = len(fresh) - sum(fresh)
    incentives = incentives[pd.Series(fresh, index=incentives.index, dtype=bool)]
    incentives_shown, incentives_omitted = capped(incentives, CLAIMS_PER_ITEM_MAX)
    measures_shown, measures_omitted = capped(measures, CLAIMS_PER_ITEM_MAX)
    measures_shown = with_claims(scope, measures_shown, "event_id")
    lighter_penalties = [
        Penalty(
            text=_penalty_text(r.penalty_min_years, r.penalty_max_years, r.penalty_kind, words=True)
            + (
                f" or a {r.additional_penalties}" if isinstance(r.additional_penalties, str) else ""
            ),
            where=f"{r.country_name}, {r.article_label}",
            offence=r.offence,
            claim_ids=scope.lookups.claims_about("provision_id", str(r.provision_id)),
        )
        for r in lighter.itertuples()
    ]
    return LegalExposure(
        provisions=rows_of(with_claims(scope, provisions, "provision_id"), Provision),
        provisions_omitted=provisions_omitted,
        missing_countries=[country_name(c) for c in missing],
        n_countries_with_statute=int(prov["country"].nunique()),
        n_countries_selected=len(scope.params.countries),
        countries_label=", ".join(country_name(c) for c in scope.params.countries),
        heaviest=None
        if heaviest is None
        else Penalty(
            text=_penalty_text(
                heaviest["penalty_min_years"],
                heaviest["penalty_max_years"],
                heaviest["penalty_kind"],
                words=True,
            ),
            where=f"{heaviest['country_name']}, {heaviest['article_label']}",
            offence=heaviest["offence"],
            claim_ids=scope.lookups.claims_about("provision_id", str(heaviest["provision_id"])),
        ),
        lighter=lighter_penalties,
        lighter_claim_ids=[c for p in lighter_penalties for c in p.claim_ids],
        home_cases=rows_of(home_shown, Case),
        home_claim_ids=[c for ids in home_shown["claim_ids"].tolist() for c in ids],
        n_home_case_records=len(home_cases),
        russian_convictions=rows_of(russian_shown, Case),
        cases_omitted=home_omitted + russian_omitted,
        incentives=rows_of(with_claims(scope, incentives_shown, "figure_id"), Incentive),
        incentives_omitted=incentives_omitted,
        n_incentives_told_before=n_told_before,
        general=general,
        measures=rows_of(measures_shown, Measure),
        measures_omitted=measures_omitted,
    )
