"""Prosecutions over time: criminal cases by year as each counter reported them, and the
convictions recorded in the data by state and year of verdict.

Counts are kept as reported: two counters' numbers for one year are two points, never a sum,
and cases (reported counts) and convictions (verdicts recorded one by one) are never added."""

from __future__ import annotations

import re
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
    # the years the count is for, in words: "2025", or "before 2025" where the measure says the
    # count is of the years before one (Mediazona's "dozens a year" until 2025)
    period: str = ""

    @property
    def when(self) -> str:
        return self.period or str(self.year)


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
    # verdicts whose year the sources do not give are not placed in a year: they are grouped by
    # what is known ("reported by 8 January 2025", "undated, probably 2025") and drawn at that
    # date; "" for verdicts dated to their year or closer
    reported: str = ""
    position: float = 0.0  # where on the chart's axis of years (a year is centred on its tick)


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


def _reported(case: pd.Series) -> str:
    """What is known of a verdict's date when its year is not: "reported by 8 January 2025",
    "undated, probably 2025"; "" when the sources date it to its year or closer."""
    precision = str(case["decided_precision"])
    if precision == "on_or_before":
        return "reported " + format_date(str(case["decided_date"]), precision)
    if precision == "approximate":
        return "undated, probably " + format_date(str(case["decided_date"]), precision)
    return ""


def _position(case: pd.Series) -> float:
    """Where a verdict sits on an axis of years, each year centred on its tick: a verdict known
    only to have come by a day sits at that day, so that it is not drawn inside a year."""
    end = pd.Timestamp(case["decided_date_end"])
    if case["decided_precision"] != "on_or_before":
        return float(end.year)
    return end.year - 0.5 + (end.day_of_year - 1) / (366 if end.is_leap_year else 365)


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
        before = re.search(r"\bbefore (\d{4})\b", str(f["measure"]))
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
                period=f"before {before.group(1)}" if before else "",
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
    by_year: dict[tuple[str, int, str], list[pd.Series]] = {}
    for _, c in convicted.iterrows():
        # a verdict dated 'by' a day, or a year only derived, is not placed in a year the
        # sources do not give: it is kept apart, under what is known of its date
        year = int(pd.Timestamp(c["decided_date_end"]).year)
        by_year.setdefault((str(c["jurisdiction"]), year, _reported(c)), []).append(c)
    convictions = []
    for (country, year, reported), rows in sorted(
        by_year.items(), key=lambda kv: (kv[0][0], _position(kv[1][0]), kv[0][2])
    ):
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
                reported=reported,
                position=_position(rows[0]),
            )
        )
    return ProsecutionsResult(tuple(counts), tuple(convictions))
