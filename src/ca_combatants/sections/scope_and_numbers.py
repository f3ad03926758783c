"""Scope and numbers: recorded cases by country, side and status; the dead and their counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import editorial, figures
from ..scope import Scope, format_date
from ._common import (
    CLAIMS_PER_ITEM_MAX,
    DEATH_COUNTS_MAX,
    NAMES_MAX,
    QUALIFIER_LABELS,
    STATUS_LABELS,
    Chart,
    ClaimRow,
    SectionResult,
    capped,
    claim_rows,
    country_name,
    rows_of,
    side_name,
    with_claims,
    with_qualifier,
)

CO_COUNTER = re.compile(r"\bCounted with ([^.;]+)\.")
CONTEXT_CATEGORIES = ["migrants", "citizenship"]


@dataclass(frozen=True)
class CountCell:
    cases: Any
    key: str  # "cases_KZ_russia"


@dataclass(frozen=True)
class CountryRow:
    country: str
    cells: list[CountCell]  # one per side, in the order of `count_sides`


@dataclass(frozen=True)
class StatusRow:
    status: str
    n: int
    n_inferred: int = 0  # of them, a status the analysts infer from the source's context


# a person the sources know only by initials ("O.R.", "Sh.K.", "I.Zh."): never a completed name
_INITIALS = re.compile(r"(?:[A-Z][a-z]?\.\s?)+")


def by_initials(name: object) -> bool:
    return isinstance(name, str) and _INITIALS.fullmatch(name.strip()) is not None


def status_rows(people: pd.DataFrame) -> list[StatusRow]:
    """People by latest status, the commonest first, with how many of each status are inferred."""
    inferred = (
        people["status_basis"].eq("inferred").fillna(False).astype(bool)
        if "status_basis" in people.columns
        else pd.Series(False, index=people.index)
    )
    return [
        StatusRow(STATUS_LABELS.get(s, s), int(n), int((inferred & (people["status"] == s)).sum()))
        for s, n in people["status"].value_counts().items()
    ]


@dataclass(frozen=True)
class Count:
    """A count of the dead (or a figure for context), as worded, with who counted and when."""

    measure: str
    value_text: str
    as_of: str
    counter: str  # for the table: "BBC Russian Service", "RFE/RL (no counter named)"
    counted_by: str  # for a sentence: "counted by …", "reported by …, which names no counter"
    when: str  # for a sentence: "as of 14 June 2023", "in July 2025", "by 18 October 2022"
    claim_ids: list[str]


@dataclass(frozen=True)
class Reported:
    """A report told as a sentence that says who reported it: 'CABAR.asia, as relayed by
    Orda.kz, reported no official Uzbek confirmation …'."""

    claim_id: str
    text: str  # without its full stop
    joined: bool = False  # continues the sentence before it


def reported(rows: list[ClaimRow]) -> list[Reported]:
    """Reports as sentences; two in a row from one reporter share one sentence."""
    out: list[Reported] = []
    last_by = None
    for row in rows:
        statement = row.statement.strip().rstrip(".")
        who, sep, rest = statement.partition(": ")
        if sep and row.attribution.startswith(who) and rest:
            rest = f"{rest[0].lower()}{rest[1:]}"
            if out and last_by == row.attribution:
                out.append(Reported(row.claim_id, f"and {rest}", joined=True))
            else:
                out.append(Reported(row.claim_id, f"{row.attribution}, reported {rest}"))
            last_by = row.attribution
        else:
            out.append(Reported(row.claim_id, f"{statement} ({row.attribution})"))
            last_by = None
    return out


@dataclass(frozen=True)
class LatestCount:
    value_text: str
    measure: str
    when: str
    counter: str
    claim_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class ScopeAndNumbers(SectionResult):
    countries_label: str
    n_total: int
    n_russia: int
    n_ukraine: int
    n_named: int
    n_initials: int  # of the named, those known only by initials
    n_named_by_name: int  # the named less those known only by initials
    count_sides: list[str]
    counts: list[CountryRow]
    status_rows: list[StatusRow]
    n_ca_counts: int  # counts of Central Asian dead (Table 2)
    deaths_shown: tuple[Count, ...]
    deaths_claim_ids: list[str]
    deaths_omitted: int
    other_counts: tuple[Count, ...]  # counts of other populations, for scale
    other_omitted: int
    latest_wide_count: LatestCount | None
    # the lead's citations: no source tracks the total; the sources judge the numbers small; the
    # first claim about each named individual (all empty when no individual is in scope)
    no_tracking_claim_ids: list[str]
    small_numbers_claim_ids: list[str]
    person_claim_ids: list[str]
    dozens_claim_ids: list[str]
    scale: list[Reported]
    context: list[ClaimRow]  # the migrant population, as the sources state it
    context_by: str | None  # the one outlet they all come from, else None
    context_omitted: int


def as_of_phrase(date: Any, precision: Any) -> str:
    """'as of 14 June 2023', 'in 2022', 'by 23 March 2023' (never 'as of by')."""
    text = format_date(date, precision)
    if precision == "on_or_before" or text.startswith(("by ", "around ")):
        return text
    if precision in ("year", "month", "season"):
        return f"in {text}"
    return f"as of {text}"


def case_counts(scope: Scope) -> pd.DataFrame:
    """Individuals per chosen country and side, zeros included."""
    sides = ["russia", "ukraine"] if scope.params.side == "both" else [scope.params.side]
    grid = pd.MultiIndex.from_product(
        [list(scope.params.countries), sides], names=["code", "side_code"]
    )
    people = scope.individuals
    # a person counts for the chosen country they come from, else the chosen country they are a citizen of
    home = people["country_of_origin"].where(
        people["country_of_origin"].isin(scope.params.countries)
    )
    home = home.fillna(
        people["citizenships"]
        .fillna("")
        .map(lambda v: next((c for c in v.split(";") if c in scope.params.countries), None))
    )
    counted = (
        pd.DataFrame({"code": home, "side_code": people["side"]})
        .value_counts()
        .reindex(grid, fill_value=0)
    )
    out = counted.rename("cases").reset_index()
    out["country"] = out["code"].map(country_name)
    out["side"] = out["side_code"].map(side_name)
    return out


def death_counts(scope: Scope) -> pd.DataFrame:
    """Counts of Central Asian dead: one row per count, never combined."""
    f = scope.figures[(scope.figures["figure_category"] == "deaths")].copy()
    first_claim = (
        scope.claims[["figure_id", "speaker_person_id", "source_id"]]
        .dropna(subset=["figure_id"])
        .drop_duplicates("figure_id")
        .set_index("figure_id")
    )
    speaker = f["figure_id"].map(first_claim["speaker_person_id"])
    publisher = (
        f["figure_id"]
        .map(first_claim["source_id"])
        .map(scope.ds.sources.set_index("source_id")["publisher_org_id"])
    )

    # a figure has one counter; a second, named in its notes ("Counted with Mediazona."), is
    # told beside it when the notes name an organisation of the dataset
    org_names = set(scope.ds.organisations["name"].astype(str))

    def with_co_counter(name: str, notes: Any) -> str:
        found = CO_COUNTER.search(notes) if isinstance(notes, str) else None
        other = found.group(1) if found else None
        return f"{name} with {other}" if other in org_names and other != name else name

    def counter(org: Any, who: Any, pub: Any, notes: Any = None) -> str:
        if pd.notna(org):
            return with_co_counter(scope.lookups.org_name(org), notes)
        if pd.notna(who):
            return f"{scope.person_name(who)} (an assertion, not a count)"
        return f"{scope.lookups.org_name(pub)} (no counter named)"

    who_counted = list(
        zip(
            f["counted_by_org_id"].tolist(),
            speaker.tolist(),
            publisher.tolist(),
            f["notes"].tolist(),
            strict=True,
        )
    )

    def counted_by(org: Any, who: Any, pub: Any, notes: Any = None) -> str:
        if pd.notna(org):
            return f"counted by {with_co_counter(scope.lookups.org_name(org), notes)}"
        if pd.notna(who):
            return f"in the words of {scope.person_name(who)}, an assertion rather than a count"
        return f"reported by {scope.lookups.org_name(pub)}, which names no counter"

    names = {key: counter(*key) for key in set(who_counted)}  # few distinct, many rows
    phrases = {key: counted_by(*key) for key in set(who_counted)}
    f["counter"] = [names[key] for key in who_counted]
    f["counted_by"] = [phrases[key] for key in who_counted]
    f["value"] = f["value_best"].fillna(f["value_low"]).astype("Float64")
    f["qualifier_label"] = f["qualifier"].map(QUALIFIER_LABELS).fillna(f["qualifier"])
    f["value_text"] = [
        with_qualifier(t, q) for t, q in zip(f["value_text"].tolist(), f["qualifier"], strict=True)
    ]
    f["scope"] = f["country_scope"].fillna("").map(lambda v: "+".join(v.split(";")) if v else "all")
    f["population"] = [
        ("Central Asians (" + "+".join(v.split(";")) + ")" if ";" in v else country_name(v))
        + (", prisoners" if "prison" in m.lower() else "")
        for v, m in zip(f["country_scope"].fillna(""), f["measure"].tolist(), strict=True)
    ]
    f["as_of"] = [
        format_date(d, p)
        for d, p in zip(f["as_of_date"].tolist(), f["as_of_precision"].tolist(), strict=True)
    ]
    f["when"] = [
        as_of_phrase(d, p)
        for d, p in zip(f["as_of_date"].tolist(), f["as_of_precision"].tolist(), strict=True)
    ]
    # a count of Central Asians names the states it covers; other populations (all Russian
    # dead, Wagner's dead in a relative's words) are kept apart, for scale only
    f["of_central_asians"] = f["country_scope"].notna() & (f["country_scope"] != "")
    return f.sort_values(["as_of_date_start", "figure_id"]).reset_index(drop=True)


def analyse(scope: Scope) -> ScopeAndNumbers:
    people = scope.individuals
    counts = case_counts(scope)
    deaths = death_counts(scope)
    # only counts of Central Asian populations go on the chart; all counts go in the table
    charted = deaths[deaths["value"].notna() & deaths["country_scope"].notna()].copy()
    charted["value"] = charted["value"].astype(float)
    context, context_omitted = context_claims(scope)
    ca = deaths[deaths["of_central_asians"]]
    other = deaths[~deaths["of_central_asians"]]
    deaths_shown, deaths_omitted = capped(ca, DEATH_COUNTS_MAX)
    other_shown, other_omitted = capped(other, DEATH_COUNTS_MAX)
    deaths_shown = with_claims(scope, deaths_shown, "figure_id")
    # the latest count covering more than one state: the best single guide to scale
    wide = deaths_shown[deaths_shown["country_scope"].str.contains(";", regex=False)]
    latest = None
    if not wide.empty:
        w = wide.iloc[-1]
        latest = LatestCount(
            value_text=w["value_text"],
            measure=w["measure"],
            when=as_of_phrase(w["as_of_date"], w["as_of_precision"]),
            counter=w["counter"],
            claim_ids=w["claim_ids"],
        )
    named = people["person_id"][:NAMES_MAX]
    n_initials = int(
        (people["is_named"].astype(bool) & people["name"].map(by_initials).astype(bool)).sum()
    )
    scale = claim_rows(
        scope, scope.lookups.claims_listed(editorial.featured(scope.ds, "scope_and_numbers"))
    )
    lead = len(people) > 0  # the lead, and its citations, only when someone is in scope
    other_shown = with_claims(scope, other_shown, "figure_id")
    return ScopeAndNumbers(
        countries_label=", ".join(country_name(c) for c in scope.params.countries),
        n_total=len(people),
        n_russia=int((people["side"] == "russia").sum()),
        n_ukraine=int((people["side"] == "ukraine").sum()),
        n_named=int(people["is_named"].sum()),
        n_initials=n_initials,
        n_named_by_name=int(people["is_named"].sum()) - n_initials,
        count_sides=list(counts["side"].unique()),
        counts=[
            CountryRow(
                country,
                [CountCell(r.cases, f"cases_{r.code}_{r.side_code}") for r in rows.itertuples()],
            )
            for country, rows in counts.groupby("country", sort=False)
        ],
        status_rows=status_rows(people),
        n_ca_counts=len(ca),
        deaths_shown=rows_of(deaths_shown, Count),
        deaths_claim_ids=[c for ids in deaths_shown["claim_ids"].tolist() for c in ids],
        deaths_omitted=deaths_omitted,
        other_counts=rows_of(other_shown, Count),
        other_omitted=other_omitted,
        latest_wide_count=latest,
        no_tracking_claim_ids=visible(scope, ["cl_gv_no_tracking"]) if lead else [],
        small_numbers_claim_ids=visible(scope, ["cl_gv_scope_small_numbers"]) if lead else [],
        person_claim_ids=[ids[0] for ids in scope.lookups.claim_ids_for("person_id", named) if ids],
        dozens_claim_ids=visible(scope, ["cl_gv_dozens_confirmed"]) if lead else [],
        scale=reported(scale),
        context=context,
        context_by=(
            context[0].attribution
            if context and len({c.attribution for c in context}) == 1
            else None
        ),
        context_omitted=context_omitted,
        charts=(
            Chart(
                "deaths_over_time",
                not charted.empty,
                lambda n, r: figures.deaths_over_time(charted, n, r),
            ),
        ),
    )


_NUMBERS = re.compile(r"\d[\d.,]*\d|\d")


def context_claims(scope: Scope) -> tuple[list[ClaimRow], int]:
    """The claims that state the migrant figures, each told once: a claim whose numbers another
    claim states too ("3.35 million … in 2022" beside "in 2022, 83% of … 3.35 million") is left
    out, so that the paragraph tells each number once."""
    figures, omitted = capped(
        scope.figures[scope.figures["figure_category"].isin(CONTEXT_CATEGORIES)],
        CLAIMS_PER_ITEM_MAX,
    )
    ids = list(
        dict.fromkeys(
            c
            for group in scope.lookups.claim_ids_for("figure_id", figures["figure_id"])
            for c in group
        )
    )
    rows = claim_rows(scope, scope.lookups.claims_frame(ids))
    numbers = [set(_NUMBERS.findall(r.statement)) for r in rows]
    kept = [
        r
        for i, r in enumerate(rows)
        if not numbers[i] or not any(j != i and numbers[i] < numbers[j] for j in range(len(rows)))
    ]
    return kept, omitted


def visible(scope: Scope, claim_ids: list[str]) -> list[str]:
    return [c for c in claim_ids if scope.lookups.is_visible(c)]


def told_claims(scope: Scope) -> list[str]:
    """The claims this section tells (each fact once: later sections point here)."""
    # counts in Table 2 are looked up there, not told: a later section may tell them in prose
    figures = scope.figures
    prose = figures["figure_category"].isin(CONTEXT_CATEGORIES) | (
        (figures["figure_category"] == "deaths")
        & (figures["country_scope"].isna() | (figures["country_scope"] == ""))
    )
    f = figures[prose]
    ids = [c for group in scope.lookups.claim_ids_for("figure_id", f["figure_id"]) for c in group]
    return ids + [
        c
        for c in [
            "cl_gv_no_tracking",
            "cl_gv_scope_small_numbers",
            "cl_gv_dozens_confirmed",
            *editorial.featured(scope.ds, "scope_and_numbers"),
        ]
        if scope.lookups.is_visible(c)
    ]
