"""Prosecutions over time: criminal cases by year as each counter reported them, and the
convictions recorded in the data by state and year of verdict.

Counts are kept as reported: two counters' numbers for one year are two points, never a sum,
and cases (reported counts) and convictions (verdicts recorded one by one) are never added."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .records import cases_in_scope
from .scope import Scope, format_date
from .sentencing import SET_ASIDE_BY

QUALIFIER_WORDS = {
    "exact": "",
    "approximately": "about",
    "at_least": "at least",
    "more_than": "more than",
    "up_to": "up to",
    "vague": "",
}
RECORDED_HERE = "verdicts recorded one by one in this dataset"


@dataclass(frozen=True)
class CaseCount:
    """One count of criminal cases, as one counter reported it."""

    figure_id: str
    country: str
    year: int
    value: float | None  # None where the source gives no number ("dozens a year")
    value_text: str  # the source's words: "about 700"
    qualifier: str
    measure: str
    counted_by: str  # the counter's name, or "counter not named"
    counted_by_short: str  # the shortest name the data gives the counter ("KNB")
    as_of: str  # "by 25 December 2025"
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class ConvictionYear:
    """Convictions handed down in one state in one year, as recorded in the data."""

    country: str
    year: int
    convictions: int
    case_ids: tuple[str, ...]
    year_uncertain: tuple[str, ...]  # cases whose verdict is dated only 'by' a date or roughly
    set_aside: tuple[str, ...]  # cases whose verdict was later cancelled (as known by as_of)
    counted_by: str
    claim_ids: tuple[str, ...]


@dataclass(frozen=True)
class ProsecutionsResult:
    case_counts: tuple[CaseCount, ...]
    convictions: tuple[ConvictionYear, ...]

    @property
    def is_empty(self) -> bool:
        return not self.case_counts and not self.convictions

    def shared_years(self) -> dict[tuple[str, int], list[str]]:
        """(country, year) with counts from more than one counter, and the counters."""
        seen: dict[tuple[str, int], list[str]] = {}
        for c in self.case_counts:
            seen.setdefault((c.country, c.year), []).append(c.counted_by)
        return {k: v for k, v in seen.items() if len(set(v)) > 1}


def _overlaps(scope: Scope, start: pd.Timestamp, end: pd.Timestamp, lower_known: bool) -> bool:
    """Whether a dated thing may fall within the brief's period (a date known only as 'on or
    before' a day has no lower bound)."""
    first, last = scope.params.period_start, scope.params.period_end
    if first and pd.Timestamp(end) < pd.Timestamp(first):
        return False
    return not (last and lower_known and pd.Timestamp(start) > pd.Timestamp(last))


def _year_in_period(scope: Scope, year: int) -> bool:
    """Whether a year a point is drawn in overlaps the brief's period."""
    first, last = scope.params.period_start, scope.params.period_end
    return (not first or year >= pd.Timestamp(first).year) and (
        not last or year <= pd.Timestamp(last).year
    )


def _short_name(scope: Scope, org_id: object) -> str:
    if not isinstance(org_id, str):
        return ""
    orgs = scope.ds.organisations
    row = orgs[orgs["org_id"] == org_id]
    if row.empty:
        return ""
    names = [str(row["name"].iloc[0])]
    if isinstance(row["name_variants"].iloc[0], str):
        names += [v.strip() for v in row["name_variants"].iloc[0].split(";") if v.strip()]
    return min(names, key=len)


def _count_value(row: pd.Series) -> float | None:
    for column in ("value_best", "value_low", "value_high"):
        if pd.notna(row[column]):
            return float(row[column])
    return None


def analyse(scope: Scope) -> ProsecutionsResult:
    figs = scope.figures
    figs = figs[figs["figure_category"] == "criminal_cases"]
    counts: list[CaseCount] = []
    groups = scope.lookups.claim_ids_for("figure_id", figs["figure_id"])
    for (_, f), claims in zip(figs.iterrows(), groups, strict=True):
        states = [c for c in str(f["country_scope"] or "").split(";") if c]
        if len(states) != 1 or states[0] not in scope.params.countries:
            continue  # a count for several states at once is not one state's count
        # the year the count is for: a count 'as of' a day is that day's year
        year = int(pd.Timestamp(f["as_of_date_end"]).year)
        if not _year_in_period(scope, year):
            continue
        counter = scope.org_name(f["counted_by_org_id"]) or "counter not named"
        short = _short_name(scope, f["counted_by_org_id"]) or counter
        counts.append(
            CaseCount(
                figure_id=str(f["figure_id"]),
                country=states[0],
                year=year,
                value=_count_value(f),
                value_text=str(f["value_text"]),
                qualifier=str(f["qualifier"]),
                measure=str(f["measure"]),
                counted_by=counter,
                counted_by_short=short,
                as_of=format_date(str(f["as_of_date"]), str(f["as_of_precision"])),
                claim_ids=tuple(claims),
            )
        )
    counts.sort(key=lambda c: (c.country, c.year, c.counted_by, c.figure_id))

    cases = cases_in_scope(scope)
    convicted = cases[
        (cases["case_type"] == "conviction")
        & cases["jurisdiction"].isin(scope.params.countries)
        & cases["decided_date_end"].notna()
    ]
    convicted = (
        convicted[
            [
                _overlaps(scope, s, e, p != "on_or_before") and _year_in_period(scope, e.year)
                for s, e, p in zip(
                    convicted["decided_date_start"].tolist(),
                    convicted["decided_date_end"].tolist(),
                    convicted["decided_precision"].tolist(),
                    strict=True,
                )
            ]
        ]
        if len(convicted)
        else convicted
    )
    claims_of = dict(
        zip(
            convicted["case_id"].tolist(),
            scope.lookups.claim_ids_for("case_id", convicted["case_id"]),
            strict=True,
        )
    )
    by_year: dict[tuple[str, int], list[pd.Series]] = {}
    for _, c in convicted.iterrows():
        # a verdict dated 'by' a day is counted in that day's year: the latest it can be
        year = int(pd.Timestamp(c["decided_date_end"]).year)
        by_year.setdefault((str(c["jurisdiction"]), year), []).append(c)
    convictions = []
    for (country, year), rows in sorted(by_year.items()):
        ids = tuple(str(r["case_id"]) for r in rows)
        set_aside = []
        supporting: list[str] = []
        for r in rows:
            supporting += claims_of[str(r["case_id"])]
            event = SET_ASIDE_BY.get(str(r["case_id"]))
            later = scope.lookups.claims_about("event_id", event) if event else []
            if later:
                set_aside.append(str(r["case_id"]))
                supporting += later
        convictions.append(
            ConvictionYear(
                country=country,
                year=year,
                convictions=len(rows),
                case_ids=ids,
                year_uncertain=tuple(
                    str(r["case_id"])
                    for r in rows
                    if r["decided_precision"] in ("on_or_before", "approximate")
                ),
                set_aside=tuple(set_aside),
                counted_by=RECORDED_HERE,
                claim_ids=tuple(dict.fromkeys(supporting)),
            )
        )
    return ProsecutionsResult(tuple(counts), tuple(convictions))
